#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

// The generator's file access, in one place.
namespace berth {

// The file's bytes, or nothing if it cannot be opened.
std::optional<std::string> read_if_file(const std::filesystem::path& path);
// The file's bytes; throws a runtime error naming the file and the reason.
std::string read_file(const std::filesystem::path& path);
// The file parsed as JSON; a runtime error if it cannot be read, a usage error naming the byte
// if it is not JSON.
nlohmann::json read_json_file(const std::filesystem::path& path);

// Writes `content` to `path` atomically (a temporary file beside it, then a rename), creating
// missing folders. Throws a runtime error naming the file, leaving no temporary file behind.
void write_atomic(const std::filesystem::path& path, const std::string& content, unsigned mode);
// write_atomic, only if the file does not already hold exactly `content`; returns whether it
// wrote.
bool write_if_changed(const std::filesystem::path& path, const std::string& content,
                      unsigned mode = 0644);

// Whether `path` is `root` or lies below it (both already normal, absolute paths).
bool within(const std::filesystem::path& root, const std::filesystem::path& path);

}  // namespace berth
