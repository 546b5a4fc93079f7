#include "store/lmdb_env.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <lmdb++.h>

#include "store/error.hpp"

namespace berth {

namespace {

const char* const k_db_names[] = {"meta",  "pools", "apps",   "ports", "names",
                                  "slots", "holes", "leases", "uses"};
static_assert(sizeof(k_db_names) / sizeof(k_db_names[0]) == static_cast<int>(Db::count_));

// lmdbxx frees a transaction whose commit failed a second time in its destructor
// (drycpp/lmdbxx#26): hand the handle to LMDB and forget it before committing.
struct SafeTxn : lmdb::txn {
  explicit SafeTxn(lmdb::txn&& t) noexcept : lmdb::txn(std::move(t)) {}
  void commit() {
    MDB_txn* h = _handle;
    _handle = nullptr;
    lmdb::txn_commit(h);
  }
};

MDB_val as_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
std::string_view as_view(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

}  // namespace

std::optional<std::string> Txn::get(Db db, std::string_view key) const {
  MDB_val k = as_val(key);
  MDB_val v{};
  if (!lmdb::dbi_get(m_txn, m_dbis[static_cast<int>(db)], &k, &v)) {
    return std::nullopt;
  }
  return std::string(as_view(v));
}

bool Txn::has(Db db, std::string_view key) const {
  MDB_val k = as_val(key);
  MDB_val v{};
  return lmdb::dbi_get(m_txn, m_dbis[static_cast<int>(db)], &k, &v);
}

void Txn::put(Db db, std::string_view key, std::string_view value) {
  MDB_val k = as_val(key);
  MDB_val v = as_val(value);
  lmdb::dbi_put(m_txn, m_dbis[static_cast<int>(db)], &k, &v, 0);
}

bool Txn::del(Db db, std::string_view key) {
  MDB_val k = as_val(key);
  return lmdb::dbi_del(m_txn, m_dbis[static_cast<int>(db)], &k, nullptr);
}

void Txn::del_prefix(Db db, std::string_view prefix) {
  std::vector<std::string> keys;  // read first: no cursor while deleting
  scan(db, prefix, prefix, [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  });
  for (const auto& k : keys) {
    del(db, k);
  }
}

void Txn::scan(Db db, std::string_view prefix, std::string_view from,
               const std::function<bool(std::string_view, std::string_view)>& fn) const {
  // The cursor lives only inside this call, so it is closed before any commit.
  lmdb::cursor cursor = lmdb::cursor::open(m_txn, m_dbis[static_cast<int>(db)]);
  MDB_val k = as_val(from);
  MDB_val v{};
  // LMDB refuses an empty key for MDB_SET_RANGE: start from the first entry instead.
  bool found = lmdb::cursor_get(cursor.handle(), &k, &v, from.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (found) {
    const std::string_view key = as_view(k);
    if (key.substr(0, prefix.size()) != prefix || !fn(key, as_view(v))) {
      break;
    }
    found = lmdb::cursor_get(cursor.handle(), &k, &v, MDB_NEXT);
  }
  cursor.close();
}

std::size_t Txn::count(Db db) const {
  MDB_stat st;
  lmdb::dbi_stat(m_txn, m_dbis[static_cast<int>(db)], &st);
  return st.ms_entries;
}

void Env::open_env(std::size_t initial_map_size, bool read_only) {
  lmdb::env_create(&m_env);
  lmdb::env_set_max_dbs(m_env, static_cast<MDB_dbi>(Db::count_));
  lmdb::env_set_mapsize(m_env, initial_map_size);
  lmdb::env_open(m_env, m_dir.c_str(), MDB_NOTLS | (read_only ? MDB_RDONLY : 0), 0644);
  m_read_only = read_only;
}

// LMDB maps the data file: pages past its end fault with SIGBUS. Refuse a file shorter than the
// pages its meta page says are in use.
void Env::check_length() const {
  MDB_envinfo info;
  MDB_stat st;
  lmdb::env_info(m_env, &info);
  lmdb::env_stat(m_env, &st);
  std::error_code ec;
  const auto size = std::filesystem::file_size(m_dir / "data.mdb", ec);
  if (!ec && size < (static_cast<std::uintmax_t>(info.me_last_pgno) + 1) * st.ms_psize) {
    throw runtime_error("store " + quote(m_dir.string()) + ": data.mdb is " + std::to_string(size) +
                        " bytes, shorter than the " +
                        std::to_string((info.me_last_pgno + 1) * st.ms_psize) +
                        " its pages need: it is truncated or damaged. Restore it from a "
                        "`berth export`, or move the store away");
  }
}

// Opens the named databases read-only when they exist, so that read-only commands never take the
// writer lock; creates them on first use.
void Env::open_databases(std::size_t initial_map_size) {
  bool exist = true;
  {
    SafeTxn txn(lmdb::txn::begin(m_env, nullptr, MDB_RDONLY));
    for (int i = 0; i < static_cast<int>(Db::count_) && exist; ++i) {
      const int rc = mdb_dbi_open(txn.handle(), k_db_names[i], 0, &m_dbis[i]);
      if (rc == MDB_NOTFOUND) {
        exist = false;
      } else if (rc != 0) {
        lmdb::error::raise("mdb_dbi_open", rc);
      }
    }
    if (exist) {
      txn.commit();
    }
  }
  if (exist) {
    return;
  }
  if (m_read_only) {
    // A store from an older berth lacks a database: open it for writing once to add it.
    mdb_env_close(m_env);
    m_env = nullptr;
    open_env(initial_map_size, false);
  }
  SafeTxn txn(lmdb::txn::begin(m_env));
  for (int i = 0; i < static_cast<int>(Db::count_); ++i) {
    lmdb::dbi_open(txn.handle(), k_db_names[i], MDB_CREATE, &m_dbis[i]);
  }
  txn.commit();
}

Env::Env(const std::filesystem::path& dir, std::size_t initial_map_size, bool read_only)
    : m_dir(dir) {
  const char* fault = std::getenv("BERTH_FAULT");
  m_stall_before_commit = fault && std::strcmp(fault, "stall-before-commit") == 0;
  m_stall_in_read = fault && std::strcmp(fault, "stall-in-read") == 0;
  std::error_code ec;
  const std::filesystem::path data = dir / "data.mdb";
  read_only = read_only && std::filesystem::is_regular_file(data, ec);
  if (!read_only) {
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      throw runtime_error("creating store folder " + quote(dir.string()) + ": " + ec.message());
    }
  }
  if (std::filesystem::exists(data, ec) && !std::filesystem::is_regular_file(data, ec)) {
    throw runtime_error("store " + quote(dir.string()) + ": data.mdb is not a regular file");
  }
  try {
    open_env(initial_map_size, read_only);
    check_length();
    int dead = 0;
    mdb_reader_check(m_env, &dead);  // clear reader slots left by killed processes
    m_stale_readers += static_cast<std::size_t>(std::max(dead, 0));
    open_databases(initial_map_size);
  } catch (...) {
    if (m_env) {
      mdb_env_close(m_env);
      m_env = nullptr;
    }
    try {
      throw;
    } catch (const lmdb::error& e) {
      fail("opening store " + quote(dir.string()), e);
    }
  }
}

Env::~Env() {
  if (m_env) {
    mdb_env_close(m_env);
  }
}

void Env::fail(const std::string& action, const std::exception& e) const {
  throw runtime_error(action + ": " + e.what());
}

EnvUse Env::use() const {
  MDB_envinfo info;
  lmdb::env_info(m_env, &info);
  MDB_stat st;
  lmdb::env_stat(m_env, &st);
  EnvUse u;
  u.map_size = info.me_mapsize;
  u.used = (static_cast<std::size_t>(info.me_last_pgno) + 1) * st.ms_psize;
  u.readers = info.me_numreaders;
  u.max_readers = info.me_maxreaders;
  u.stale_readers_cleared = m_stale_readers;
  return u;
}

std::size_t Env::map_size() const {
  MDB_envinfo info;
  lmdb::env_info(m_env, &info);
  return info.me_mapsize;
}

void Env::run_read(const std::function<void(const Txn&)>& fn) const {
  for (;;) {
    try {
      lmdb::txn txn = lmdb::txn::begin(m_env, nullptr, MDB_RDONLY);
      if (m_stall_in_read) {
        std::fprintf(stderr, "berth: fault: stalling in a read transaction\n");
        std::fflush(stderr);
        for (;;) {
          pause();
        }
      }
      fn(Txn(txn.handle(), m_dbis));
      return;  // the read transaction is aborted by its destructor
    } catch (const lmdb::runtime_error& e) {
      if (e.code() != MDB_MAP_RESIZED) {
        fail("reading store " + quote(m_dir.string()), e);
      }
      lmdb::env_set_mapsize(m_env, 0);  // another process grew the map: adopt its size
    }
  }
}

// LMDB never writes a page that a transaction allocated and freed again ("loose" pages, such as
// those a large release empties): when such pages are the highest in use, data.mdb ends short
// of the pages its meta page claims, and the next open would take it for a truncated copy.
// Extend the file over them (a hole: they are free), under the writer lock so that no other
// writer's pages can be cut off, and only ever upwards.
void Env::cover_pages() {
  const auto need = [&] {
    MDB_envinfo info;
    MDB_stat st;
    lmdb::env_info(m_env, &info);
    lmdb::env_stat(m_env, &st);
    return static_cast<off_t>((static_cast<std::uint64_t>(info.me_last_pgno) + 1) * st.ms_psize);
  };
  int fd = -1;
  struct stat sb;
  if (mdb_env_get_fd(m_env, &fd) != 0 || ::fstat(fd, &sb) != 0 || sb.st_size >= need()) {
    return;
  }
  SafeTxn lock(lmdb::txn::begin(m_env));  // the writer lock; aborted unchanged
  if (::fstat(fd, &sb) == 0 && sb.st_size < need() && ::ftruncate(fd, need()) != 0) {
    throw runtime_error("extending store " + quote(m_dir.string()) +
                        "'s data file over its free pages: " + std::strerror(errno));
  }
}

void Env::run_write(const std::function<void(Txn&)>& fn, bool commit) {
  for (;;) {
    try {
      SafeTxn txn(lmdb::txn::begin(m_env));
      Txn view(txn.handle(), m_dbis);
      fn(view);
      if (!commit) {
        return;  // the transaction is aborted by its destructor
      }
      if (m_stall_before_commit) {
        std::fprintf(stderr, "berth: fault: stalling before commit\n");
        std::fflush(stderr);
        for (;;) {
          pause();
        }
      }
      txn.commit();
      cover_pages();
      return;
    } catch (const lmdb::map_full_error&) {
      // No transaction is live here: the failed one was aborted or freed by LMDB.
      lmdb::env_set_mapsize(m_env, map_size() * 2);
    } catch (const lmdb::runtime_error& e) {
      if (e.code() != MDB_MAP_RESIZED) {
        fail("writing store " + quote(m_dir.string()), e);
      }
      lmdb::env_set_mapsize(m_env, 0);
    } catch (const lmdb::error& e) {
      fail("writing store " + quote(m_dir.string()), e);
    }
  }
}

}  // namespace berth
