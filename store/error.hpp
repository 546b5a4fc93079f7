#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace berth {

// What went wrong, which is also the process exit code (see docs/cli.md).
enum class ErrorKind {
  runtime = 1,   // the store or a file could not be read or written, a range ran out
  usage = 2,     // a bad argument or value: the caller can fix the command line
  conflict = 3,  // a port or name is held by another owner, or `check` found problems
};

// berth's one error type. Thrown by the library, caught once in main and printed as
// `berth: error: <message>`, followed by one line per detail.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, std::vector<std::string> details = {});

  ErrorKind kind() const { return m_kind; }
  const std::vector<std::string>& details() const { return m_details; }

 private:
  ErrorKind m_kind;
  std::vector<std::string> m_details;
};

inline Error usage_error(const std::string& message) {
  return Error(ErrorKind::usage, message);
}
inline Error runtime_error(const std::string& message) {
  return Error(ErrorKind::runtime, message);
}
inline Error conflict_error(const std::string& message, std::vector<std::string> details = {}) {
  return Error(ErrorKind::conflict, message, std::move(details));
}

// `text` in double quotes, with control characters and quotes escaped, for messages.
std::string quote(const std::string& text);

}  // namespace berth
