#include "generator/io/fileio.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <random>

#include "store/error.hpp"
#include "store/json_read.hpp"

namespace berth {

namespace fs = std::filesystem;

namespace {

constexpr char k_temp_marker[] = ".berth-tmp-";

// Reads the regular file at `path`; nullopt and errno set when it cannot.
std::optional<std::string> read_regular(const fs::path& path, bool& not_regular,
                                        unsigned* perms = nullptr) {
  not_regular = false;
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    not_regular = true;
    ::close(fd);
    errno = EINVAL;
    return std::nullopt;
  }
  if (perms) {
    *perms = static_cast<unsigned>(st.st_mode) & 07777;
  }
  std::string out;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  for (;;) {
    if (done == out.size() && done > 0 && done == static_cast<std::size_t>(st.st_size)) {
      break;  // all fstat said it holds: the file as it was then, without a read for the end
    }
    if (done == out.size()) {
      out.resize(out.size() + 4096);  // a size fstat does not know (/proc), or a file that grew
    }
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      return std::nullopt;
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return out;
}

// A temporary file's name: unpredictable (an attacker cannot plant it ahead) and unique. One
// generator per thread, seeded once from the system's random source: a std::random_device per
// name costs a system call, or a `cpuid` under a hypervisor, for every file written.
std::string random_suffix() {
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seed{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seed);
  }();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(gen()));
  return buf;
}

// This process's id, asked of the kernel once (glibc asks it at every call; berth never forks).
pid_t own_pid() {
  static const pid_t pid = ::getpid();
  return pid;
}

// This process's umask, read once from /proc/self/status (berth never changes it); nullopt where
// the kernel does not show it.
std::optional<mode_t> process_umask() {
  static const std::optional<mode_t> mask = []() -> std::optional<mode_t> {
    const auto status = read_if_file("/proc/self/status");
    const auto at = status ? status->find("\nUmask:\t") : std::string::npos;
    if (at == std::string::npos) {
      return std::nullopt;
    }
    return static_cast<mode_t>(std::strtoul(status->c_str() + at + 8, nullptr, 8));
  }();
  return mask;
}

// The mode a new file is created with: `mode` itself when it is plain permission bits the umask
// keeps all of (no fchmod needed after), else 0600 until fchmod sets `mode`.
mode_t creation_mode(unsigned mode, bool& chmod_after) {
  const auto mask = process_umask();
  chmod_after = !mask || (mode & ~0777u) != 0 || (mode & *mask) != 0;
  return chmod_after ? 0600 : static_cast<mode_t>(mode);
}

// A new temporary file in `parent`, opened for writing with `create_mode`; -1 and errno set
// when it cannot be made.
int open_temp(const fs::path& parent, fs::path& tmp, mode_t create_mode) {
  int fd = -1;
  for (int attempt = 0; attempt < 8 && fd < 0; ++attempt) {
    tmp = parent / (std::string(k_temp_marker) + std::to_string(own_pid()) + "-" + random_suffix());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode);
    if (fd < 0 && errno != EEXIST) {
      break;
    }
  }
  return fd;
}

}  // namespace

std::optional<std::string> read_if_file(const fs::path& path) {
  bool not_regular = false;
  return read_regular(path, not_regular);
}

std::string read_file(const fs::path& path, unsigned* perms) {
  bool not_regular = false;
  auto text = read_regular(path, not_regular, perms);
  if (!text) {
    throw runtime_error("cannot read " + quote(path.string()) + ": " +
                        (not_regular ? "not a regular file" : std::strerror(errno)));
  }
  return std::move(*text);
}

nlohmann::json read_json_file(const fs::path& path) {
  return parse_json(read_file(path), quote(path.string()));
}

void write_atomic(const fs::path& p, const std::string& content, unsigned mode) {
  const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (p.filename().empty()) {
    throw usage_error("cannot write " + quote(p.string()) + ": it names a folder, not a file");
  }
  // A short name (whatever the length of the file's own name), created exclusively and never
  // through a symlink: nothing that exists is ever opened. The folder is made only when the
  // open finds it missing (a stat before every write would cost as much as the write).
  fs::path tmp;
  bool chmod_after = true;
  const mode_t create_mode = creation_mode(mode, chmod_after);
  int fd = open_temp(parent, tmp, create_mode);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) {
      throw runtime_error("cannot create folder " + quote(parent.string()) + ": " + ec.message());
    }
    fd = open_temp(parent, tmp, create_mode);
  }
  bool ok = fd >= 0;
  int saved = errno;
  std::size_t done = 0;
  while (ok && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    ok = n > 0;
    done += ok ? static_cast<std::size_t>(n) : 0;
  }
  ok = ok && (!chmod_after || ::fchmod(fd, mode) == 0);
  if (!ok) {
    saved = errno;
  }
  if (fd >= 0) {
    ok = (::close(fd) == 0) && ok;
  }
  if (!ok || ::rename(tmp.c_str(), p.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : saved);
    if (fd >= 0) {
      ::unlink(tmp.c_str());
    }
    throw runtime_error("cannot write " + quote(p.string()) + ": " + why);
  }
}

bool write_if_changed(const fs::path& path, const std::string& content, unsigned mode) {
  if (read_if_file(path) == content) {
    return false;
  }
  write_atomic(path, content, mode);
  return true;
}

void check_writable(const fs::path& path, const std::string& what) {
  std::error_code ec;
  const auto st = fs::symlink_status(path, ec);
  if (path.filename().empty() ||
      (st.type() != fs::file_type::not_found && st.type() != fs::file_type::regular &&
       st.type() != fs::file_type::symlink) ||
      (st.type() == fs::file_type::symlink && fs::is_directory(path, ec))) {
    throw usage_error(what + " " + quote(path.string()) + " is a folder or another non-file; " +
                      "give a file path");
  }
  for (fs::path parent = fs::absolute(path).parent_path();; parent = parent.parent_path()) {
    const auto pst = fs::status(parent, ec);
    if (pst.type() == fs::file_type::directory) {
      return;
    }
    if (pst.type() != fs::file_type::not_found) {
      throw usage_error(what + " " + quote(path.string()) + " lies under " +
                        quote(parent.string()) + ", which is not a folder");
    }
    if (parent == parent.parent_path()) {
      return;
    }
  }
}

void remove_stale_temps(const fs::path& dir, bool folder_locked) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    return;
  }
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const auto at = name.find(k_temp_marker);
    if (name[0] != '.' || at == std::string::npos) {
      continue;
    }
    const char* digits = name.c_str() + at + sizeof(k_temp_marker) - 1;
    char* end = nullptr;
    const long pid = std::strtol(digits, &end, 10);
    if (end == digits || pid <= 0 || (*end != '\0' && *end != '-')) {
      continue;
    }
    const bool dead = ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
    if (dead || (folder_locked && pid != own_pid())) {
      ::unlinkat(::dirfd(d), e->d_name, 0);  // a symlink is removed, never followed
    }
  }
  ::closedir(d);
}

std::string use_path(const fs::path& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  if (ec) {
    p = fs::absolute(path).lexically_normal();
  }
  std::string s = p.string();
  if (s.size() > 1 && s.back() == '/') {
    s.pop_back();
  }
  return s;
}

bool within(const fs::path& root, const fs::path& p) {
  auto r = root.lexically_normal().string();
  if (r.size() > 1 && r.back() == '/') {
    r.pop_back();  // "out/" is the folder "out"
  }
  const auto s = p.lexically_normal().string();
  return s == r || (s.size() > r.size() && s.compare(0, r.size(), r) == 0 && s[r.size()] == '/');
}

FolderLock::FolderLock(const fs::path& dir) {
  m_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (m_fd < 0) {
    throw runtime_error("cannot open folder " + quote(dir.string()) + ": " + std::strerror(errno));
  }
  while (::flock(m_fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      const int saved = errno;
      ::close(m_fd);
      throw runtime_error("cannot lock folder " + quote(dir.string()) + ": " +
                          std::strerror(saved));
    }
  }
}

FolderLock::~FolderLock() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

}  // namespace berth
