#include "store/error.hpp"

#include <cstdio>

namespace berth {

Error::Error(ErrorKind kind, const std::string& message, std::vector<std::string> details)
    : std::runtime_error(message), m_kind(kind), m_details(std::move(details)) {}

std::string quote(const std::string& text) {
  std::string out = "'";
  for (unsigned char c : text) {
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

}  // namespace berth
