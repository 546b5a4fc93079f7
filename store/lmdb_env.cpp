#include "store/lmdb_env.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
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

bool Txn::put_new(Db db, std::string_view key, std::string_view value) {
  MDB_val k = as_val(key);
  MDB_val v = as_val(value);
  return lmdb::dbi_put(m_txn, m_dbis[static_cast<int>(db)], &k, &v, MDB_NOOVERWRITE);
}

void Txn::put_rising(Db db, std::string_view key, std::string_view value) {
  MDB_val k = as_val(key);
  MDB_val v = as_val(value);
  // MDB_APPEND answers MDB_KEYEXIST (dbi_put: false) when the key does not sort last.
  if (!lmdb::dbi_put(m_txn, m_dbis[static_cast<int>(db)], &k, &v, MDB_APPEND)) {
    put(db, key, value);
  }
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

namespace {

// LMDB's own consistency checks fail only on a damaged data file. It would abort() after this
// callback; berth says what happened and how to get back instead, and exits (continuing is not
// safe: the page it was reading is not what LMDB expects).
void on_lmdb_assert(MDB_env* env, const char* msg) {
  const char* path = nullptr;
  mdb_env_get_path(env, &path);
  const std::string dir = path ? path : "?";
  std::fprintf(stderr,
               "berth: error: store %s is damaged (LMDB: %s); nothing more was read or written. "
               "Restore it from a `berth export` (berth --store NEW import FILE), or save what "
               "can still be read with `mdb_dump -a %s` (lmdb-utils) before moving it away\n",
               quote(dir).c_str(), msg ? msg : "?", dir.c_str());
  std::fflush(stderr);
  std::_Exit(static_cast<int>(ErrorKind::runtime));
}

// LMDB trusts the pages it maps: a damaged page can also send it past the map, a SIGSEGV or
// SIGBUS rather than an assertion. While berth is inside a store transaction, such a signal is
// reported as a damaged store (the message is written beforehand: a signal handler may only
// write and exit); elsewhere it stays a crash, so berth's own bugs are not blamed on the store.
volatile std::sig_atomic_t g_in_store = 0;
char g_damaged_message[1024] = "berth: error: the store is damaged\n";

extern "C" void on_store_signal(int sig) {
  if (g_in_store) {
    const ssize_t n = ::write(STDERR_FILENO, g_damaged_message, std::strlen(g_damaged_message));
    (void)n;
    std::_Exit(static_cast<int>(ErrorKind::runtime));
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void guard_store_signals(const std::filesystem::path& dir) {
  std::snprintf(g_damaged_message, sizeof g_damaged_message,
                "berth: error: store %s is damaged: reading it crashed on a page that is not "
                "what LMDB expects; nothing more was read or written. Restore it from a `berth "
                "export` (berth --store NEW import FILE), or save what can still be read with "
                "`mdb_dump -a` (lmdb-utils) before moving it away\n",
                quote(dir.string()).c_str());
  struct sigaction action {};
  action.sa_handler = on_store_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGSEGV, &action, nullptr);
  ::sigaction(SIGBUS, &action, nullptr);
}

// While alive, a crash is the store's.
struct InStore {
  InStore() { g_in_store = 1; }
  ~InStore() { g_in_store = 0; }
  InStore(const InStore&) = delete;
  InStore& operator=(const InStore&) = delete;
};

// A key of the main database that is not one of berth's named databases: the folder holds an
// LMDB environment something else wrote.
std::optional<std::string> foreign_key(MDB_txn* txn) {
  MDB_dbi main = 0;
  if (mdb_dbi_open(txn, nullptr, 0, &main) != 0) {
    return std::nullopt;
  }
  MDB_cursor* cursor = nullptr;
  if (mdb_cursor_open(txn, main, &cursor) != 0) {
    return std::nullopt;
  }
  std::optional<std::string> out;
  MDB_val k{}, v{};
  for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0 && !out;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    const std::string key(static_cast<const char*>(k.mv_data), k.mv_size);
    const auto* end = k_db_names + static_cast<int>(Db::count_);
    if (std::find_if(k_db_names, end, [&](const char* n) { return key == n; }) == end) {
      out = key;
    }
  }
  mdb_cursor_close(cursor);
  return out;
}

}  // namespace

void Env::open_env(std::size_t initial_map_size, bool read_only) {
  lmdb::env_create(&m_env);
  mdb_env_set_assert(m_env, &on_lmdb_assert);
  lmdb::env_set_max_dbs(m_env, static_cast<MDB_dbi>(Db::count_));
  lmdb::env_set_mapsize(m_env, initial_map_size);
  lmdb::env_open(m_env, m_dir.c_str(), MDB_NOTLS | (read_only ? MDB_RDONLY : 0), 0644);
  m_read_only = read_only;
}

// A store that cannot be written (a read-only mount, a folder of another user's) is opened
// read-only when it exists: every reading command works, and a write says why it cannot.
void Env::open_read_write_or_not(std::size_t initial_map_size, bool read_only) {
  try {
    open_env(initial_map_size, read_only);
  } catch (const lmdb::error& e) {
    std::error_code ec;
    if (read_only || (e.code() != EROFS && e.code() != EACCES) ||
        !std::filesystem::is_regular_file(m_dir / "data.mdb", ec)) {
      throw;
    }
    mdb_env_close(m_env);
    m_env = nullptr;
    open_env(initial_map_size, true);
    m_read_only_reason = std::strerror(e.code());
  }
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
// writer lock; creates them on first use. Opened read-only, a store that lacks some (an older
// berth's) is left as it is: the Store refuses it for what it is (its schema says why).
void Env::open_databases(const std::function<void(const Env&)>& before_adding) {
  bool exist = true;
  bool meta_exists = true;
  {
    SafeTxn txn(lmdb::txn::begin(m_env, nullptr, MDB_RDONLY));
    for (int i = 0; i < static_cast<int>(Db::count_); ++i) {
      const int rc = mdb_dbi_open(txn.handle(), k_db_names[i], 0, &m_dbis[i]);
      if (rc == MDB_NOTFOUND) {
        exist = false;
        meta_exists = meta_exists && i != static_cast<int>(Db::meta);
      } else if (rc != 0) {
        lmdb::error::raise("mdb_dbi_open", rc);
      }
    }
    if (!exist) {
      if (const auto key = foreign_key(txn.handle())) {
        throw runtime_error("store " + quote(m_dir.string()) +
                            " holds an LMDB database that berth did not write (its main database "
                            "names " +
                            quote(*key) +
                            "); nothing was changed. Give berth a folder of its own (--store)");
      }
    }
    txn.commit();
  }
  if (exist || m_read_only) {
    m_missing_databases = !exist;
    return;
  }
  if (before_adding && meta_exists) {
    before_adding(*this);
  }
  SafeTxn txn(lmdb::txn::begin(m_env));
  for (int i = 0; i < static_cast<int>(Db::count_); ++i) {
    lmdb::dbi_open(txn.handle(), k_db_names[i], MDB_CREATE, &m_dbis[i]);
  }
  txn.commit();
}

Env::Env(const std::filesystem::path& dir, std::size_t initial_map_size, bool read_only,
         const std::function<void(const Env&)>& before_adding)
    : m_dir(dir) {
  const char* fault = std::getenv("BERTH_FAULT");
  m_stall_before_commit = fault && std::strcmp(fault, "stall-before-commit") == 0;
  m_stall_in_read = fault && std::strcmp(fault, "stall-in-read") == 0;
  std::error_code ec;
  const std::filesystem::path data = dir / "data.mdb";
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
    throw runtime_error("store " + quote(dir.string()) + " is not a folder");
  }
  if (read_only &&
      std::filesystem::symlink_status(data, ec).type() == std::filesystem::file_type::not_found) {
    // A command that only reads never creates a store (a mistyped --store would otherwise
    // print "no reservations" and leave a new store behind).
    throw usage_error("no berth store in " + quote(dir.string()) +
                      ": nothing has been reserved there (a command that reserves creates it); "
                      "check --store or $BERTH_STORE");
  }
  if (!read_only) {
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      throw runtime_error("creating store folder " + quote(dir.string()) + ": " + ec.message());
    }
  }
  if (std::filesystem::exists(data, ec) && !std::filesystem::is_regular_file(data, ec)) {
    throw runtime_error("store " + quote(dir.string()) + ": data.mdb is not a regular file");
  }
  guard_store_signals(dir);
  const InStore in_store;
  try {
    open_read_write_or_not(initial_map_size, read_only);
    check_length();
    int dead = 0;
    mdb_reader_check(m_env, &dead);  // clear reader slots left by killed processes
    m_stale_readers += static_cast<std::size_t>(std::max(dead, 0));
    open_databases(before_adding);
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
  // A write that failed on a full disk reaches LMDB as ENOSPC or, from a short write, EIO: say
  // what happened rather than "Input/output error".
  const auto* lmdb_error = dynamic_cast<const lmdb::error*>(&e);
  struct statvfs fs_stat;
  if (lmdb_error && (lmdb_error->code() == ENOSPC || lmdb_error->code() == EIO) &&
      ::statvfs(m_dir.c_str(), &fs_stat) == 0 &&
      static_cast<std::uint64_t>(fs_stat.f_bavail) * fs_stat.f_frsize < (4u << 20)) {
    throw runtime_error(
        action + ": the disk that holds it is full (" +
        std::to_string(static_cast<std::uint64_t>(fs_stat.f_bavail) * fs_stat.f_frsize) +
        " bytes free); nothing was committed. Free some space and run the "
        "command again");
  }
  throw runtime_error(action + ": " + e.what() + shared_hint(e));
}

// For a store shared by a group (a setgid folder, as `berth init --host` makes it) that this user
// may not open: who may, and how to join them.
std::string Env::shared_hint(const std::exception& e) const {
  const auto* lmdb_error = dynamic_cast<const lmdb::error*>(&e);
  struct stat st;
  if (!lmdb_error || lmdb_error->code() != EACCES || ::stat(m_dir.c_str(), &st) != 0 ||
      !(st.st_mode & S_ISGID)) {
    return "";
  }
  const struct group* g = ::getgrgid(st.st_gid);
  const std::string group = g ? g->gr_name : std::to_string(st.st_gid);
  const struct passwd* me = ::getpwuid(::geteuid());
  const std::string user = me ? me->pw_name : std::to_string(::geteuid());
  return " (this store is shared by the group " + quote(group) +
         ", which you are not in: ask for `usermod -aG " + group + " " + user +
         "`, then log in again)";
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

void Env::copy_to(const std::filesystem::path& dir) const {
  const int rc = mdb_env_copy2(m_env, dir.c_str(), MDB_CP_COMPACT);
  if (rc != MDB_SUCCESS) {
    throw runtime_error("cannot copy the store into " + quote(dir.string()) + ": " +
                        mdb_strerror(rc));
  }
}

std::size_t Env::map_size() const {
  MDB_envinfo info;
  lmdb::env_info(m_env, &info);
  return info.me_mapsize;
}

void Env::run_read(const std::function<void(const Txn&)>& fn) const {
  const InStore in_store;
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
  if (m_read_only) {
    throw runtime_error("store " + quote(m_dir.string()) + " is open read-only" +
                        (m_read_only_reason.empty() ? "" : " (" + m_read_only_reason + ")") +
                        ": this command needs to write it");
  }
  const InStore in_store;
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
