// The host store: one store for every user of a host, so that two users never get the same
// port (docs/guarantees.md, "Several projects and users on one host").
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "store/error.hpp"
#include "store/store.hpp"

namespace berth {

namespace fs = std::filesystem;

namespace {

constexpr char k_host_store[] = "/var/lib/berth";
constexpr mode_t k_shared_folder = S_ISGID | 0775;
constexpr mode_t k_shared_file = 0660;

// Gives `path` the group and mode, naming what failed.
void share(const fs::path& path, gid_t gid, mode_t mode) {
  if (::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0 || ::chmod(path.c_str(), mode) != 0) {
    throw runtime_error("cannot give " + quote(path.string()) + " its group and mode: " +
                        std::strerror(errno) + " (run `berth init --host` as root)");
  }
}

gid_t group_id(const std::string& group) {
  if (const struct group* g = ::getgrnam(group.c_str())) {
    return g->gr_gid;
  }
  throw usage_error("group " + quote(group) +
                    " does not exist; create it and add the users who share the store: "
                    "`groupadd " +
                    group + "` and `usermod -aG " + group + " USER` (or give --group)");
}

}  // namespace

fs::path Store::host_dir() {
  if (const char* s = std::getenv("BERTH_HOST_STORE")) {
    if (!*s) {
      throw usage_error(
          "$BERTH_HOST_STORE is set but empty; give it the host store's folder, or unset it for "
          "/var/lib/berth");
    }
    return s;
  }
  return k_host_store;
}

bool Store::exists_in(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "data.mdb", ec);
}

void Store::init_shared(const fs::path& dir, const std::string& group) {
  const gid_t gid = group_id(group);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw runtime_error("creating the host store " + quote(dir.string()) + ": " + ec.message() +
                        " (run `berth init --host` as root)");
  }
  // The folder first: files LMDB creates in a setgid folder get its group.
  share(dir, gid, k_shared_folder);
  { Store created(dir); }
  for (const char* file : {"data.mdb", "lock.mdb"}) {
    share(dir / file, gid, k_shared_file);
  }
}

}  // namespace berth
