#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

// The generator's file access, in one place.
namespace berth {

// The bytes of the regular file at `path`, or nothing if there is none (or it cannot be
// opened). Never blocks: a FIFO, socket or device is not read, and is an error.
std::optional<std::string> read_if_file(const std::filesystem::path& path);
// The file's bytes; throws a runtime error naming the file and the reason. `perms`, when given,
// receives its permission bits (of the file read: no second look that a rename could fool).
std::string read_file(const std::filesystem::path& path, unsigned* perms = nullptr);
// The file parsed as JSON; a runtime error if it cannot be read, a usage error naming the byte
// if it is not JSON.
nlohmann::json read_json_file(const std::filesystem::path& path);

// Writes `content` to `path` atomically: a new temporary file beside it (created exclusively,
// with an unpredictable name, never through a symlink), then a rename over `path`. Creates
// missing folders (a bare file name is written in the current folder). Throws a runtime error
// naming the file, leaving no temporary file behind.
void write_atomic(const std::filesystem::path& path, const std::string& content, unsigned mode);
// write_atomic, only if the file does not already hold exactly `content`; returns whether it
// wrote.
bool write_if_changed(const std::filesystem::path& path, const std::string& content,
                      unsigned mode = 0644);

// Throws a usage error naming `what` unless write_atomic(path) could succeed as far as can be
// told without writing: `path` is not a folder or other non-file, and its nearest existing
// parent is a folder. Used to refuse before a store transaction commits.
void check_writable(const std::filesystem::path& path, const std::string& what);

// Removes temporary files that berth processes left in `dir` when killed between creating and
// renaming them: those of processes that no longer run or, with `folder_locked` (the caller
// holds the folder's FolderLock, so no other berth is writing there), those of every other
// process (a dead run's process id may have been reused). Never follows a symlink.
void remove_stale_temps(const std::filesystem::path& dir, bool folder_locked = false);

// The absolute path with symlinks resolved as far as it exists, as a use records it (berth show,
// berth prune): one spelling per folder, whatever folder the command ran in.
std::string use_path(const std::filesystem::path& path);

// Whether `path` is `root` or lies below it (both already normal, absolute paths).
bool within(const std::filesystem::path& root, const std::filesystem::path& path);

// An exclusive advisory lock (flock) on a folder, held until destroyed. Two berth processes
// that write into one app folder take turns.
class FolderLock {
 public:
  explicit FolderLock(const std::filesystem::path& dir);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int m_fd = -1;
};

}  // namespace berth
