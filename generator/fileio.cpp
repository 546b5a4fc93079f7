#include "generator/fileio.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "store/error.hpp"

namespace berth {

namespace fs = std::filesystem;

std::optional<std::string> read_if_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string read_file(const fs::path& path) {
  auto text = read_if_file(path);
  if (!text) {
    throw runtime_error("cannot read " + quote(path.string()) + ": " + std::strerror(errno));
  }
  return std::move(*text);
}

nlohmann::json read_json_file(const fs::path& path) {
  const std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw usage_error(quote(path.string()) + " is not valid JSON (at byte " +
                      std::to_string(e.byte) + ")");
  }
}

void write_atomic(const fs::path& p, const std::string& content, unsigned mode) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  if (ec) {
    throw runtime_error("cannot create folder " + quote(p.parent_path().string()) + ": " +
                        ec.message());
  }
  const fs::path tmp =
      p.parent_path() / ("." + p.filename().string() + ".berth-tmp-" + std::to_string(getpid()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0;
  std::size_t done = 0;
  while (ok && done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    ok = n > 0;
    done += ok ? static_cast<std::size_t>(n) : 0;
  }
  ok = ok && ::fchmod(fd, mode) == 0;
  const int saved = errno;
  if (fd >= 0) {
    ok = (::close(fd) == 0) && ok;
  }
  if (!ok || ::rename(tmp.c_str(), p.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : saved);
    ::unlink(tmp.c_str());
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

bool within(const fs::path& root, const fs::path& p) {
  const auto r = root.lexically_normal().string();
  const auto s = p.lexically_normal().string();
  return s == r || (s.size() > r.size() && s.compare(0, r.size(), r) == 0 && s[r.size()] == '/');
}

}  // namespace berth
