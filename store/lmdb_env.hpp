#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/model.hpp"

// LMDB, through lmdbxx, with its traps handled in one place (see docs/store-format.md):
// values always go through MDB_val (never the templated get/put), a failed commit is not freed
// twice, cursors never outlive the function that opened them, integers are read with memcpy,
// MDB_NOTLS is set, stale reader slots are cleared on open, and a full or resized map is grown or
// adopted and the whole transaction retried.

typedef struct MDB_env MDB_env;
typedef struct MDB_txn MDB_txn;

namespace berth {

// The named databases of a store. Their key and value encodings live in store.cpp.
enum class Db { meta, pools, apps, ports, names, slots, holes, leases, uses, count_ };

// A live transaction. Data returned is copied out, so it outlives the transaction.
class Txn {
 public:
  Txn(MDB_txn* txn, const unsigned* dbis) : m_txn(txn), m_dbis(dbis) {}

  std::optional<std::string> get(Db db, std::string_view key) const;
  bool has(Db db, std::string_view key) const;
  void put(Db db, std::string_view key, std::string_view value);
  // Puts `key` unless it is there: returns whether it was put (one lookup, where has() then
  // put() take two).
  bool put_new(Db db, std::string_view key, std::string_view value);
  // put(), cheaper when `key` sorts after every key of `db` (ports and slots allocated upward):
  // LMDB then appends without a search and fills pages instead of splitting them in half.
  // Any other key is put the usual way.
  void put_rising(Db db, std::string_view key, std::string_view value);
  // Returns whether the key was there.
  bool del(Db db, std::string_view key);
  // Deletes every entry whose key starts with `prefix`.
  void del_prefix(Db db, std::string_view prefix);
  // Calls fn(key, value) for each entry whose key starts with `prefix`, from the first key >=
  // `from` (which should itself start with `prefix`), in key order, until fn returns false.
  // The views are valid only during the call.
  void scan(Db db, std::string_view prefix, std::string_view from,
            const std::function<bool(std::string_view, std::string_view)>& fn) const;
  std::size_t count(Db db) const;

 private:
  MDB_txn* m_txn;
  const unsigned* m_dbis;
};

class Env {
 public:
  // Opens (creating if needed) the LMDB environment in folder `dir`. With `read_only`, an
  // existing environment is opened with MDB_RDONLY (write transactions then fail). Refuses a
  // data file shorter than the pages it claims (a truncated copy), which LMDB would otherwise
  // meet as SIGBUS.
  // `before_adding`, when given, runs before berth's missing databases are added to an existing
  // store opened for writing (an older berth's store): the Store keeps a copy of it as it was.
  Env(const std::filesystem::path& dir, std::size_t initial_map_size, bool read_only = false,
      const std::function<void(const Env&)>& before_adding = {});
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // Runs fn in a read-only transaction.
  template <class F>
  auto read(F&& fn) const {
    std::optional<decltype(fn(std::declval<const Txn&>()))> result;
    run_read([&](const Txn& txn) { result.emplace(fn(txn)); });
    return std::move(*result);
  }

  // Runs fn in a write transaction and commits. When the map is full fn runs again in a new
  // transaction after the map has grown, so fn must have no effect outside the transaction
  // other than filling its result.
  template <class F>
  auto write(F&& fn) {
    std::optional<decltype(fn(std::declval<Txn&>()))> result;
    run_write([&](Txn& txn) { result.emplace(fn(txn)); });
    return std::move(*result);
  }

  // Runs fn in a write transaction and aborts it: what fn would change, without changing it.
  template <class F>
  auto write_dry(F&& fn) {
    std::optional<decltype(fn(std::declval<Txn&>()))> result;
    run_write([&](Txn& txn) { result.emplace(fn(txn)); }, false);
    return std::move(*result);
  }

  std::size_t map_size() const;
  EnvUse use() const;
  // Writes a consistent, compacted copy of the environment (one read transaction's view) into
  // the existing empty folder `dir`, as its data.mdb: a store LMDB opens as it is.
  void copy_to(const std::filesystem::path& dir) const;
  // Whether the environment was opened read-only (write transactions then fail).
  bool read_only() const { return m_read_only; }
  // Whether, opened read-only, the store lacked some of berth's databases (an older berth's
  // store); their handles are not usable then.
  bool missing_databases() const { return m_missing_databases; }
  const std::filesystem::path& dir() const { return m_dir; }

 private:
  void run_read(const std::function<void(const Txn&)>& fn) const;
  void run_write(const std::function<void(Txn&)>& fn, bool commit = true);
  void cover_pages();
  // The constructor's steps: open the environment, refuse a truncated data file, open (or on a
  // store from an older berth, create) the named databases.
  void open_env(std::size_t initial_map_size, bool read_only);
  void open_read_write_or_not(std::size_t initial_map_size, bool read_only);
  void check_length() const;
  void open_databases(const std::function<void(const Env&)>& before_adding);
  [[noreturn]] void fail(const std::string& action, const std::exception& e) const;
  std::string shared_hint(const std::exception& e) const;

  std::filesystem::path m_dir;
  MDB_env* m_env = nullptr;
  unsigned m_dbis[static_cast<int>(Db::count_)] = {};
  bool m_missing_databases = false;
  bool m_stall_before_commit = false;
  bool m_stall_in_read = false;
  bool m_read_only = false;
  std::string m_read_only_reason;  // why a store opened for writing could only be read
  std::size_t m_stale_readers = 0;
};

}  // namespace berth
