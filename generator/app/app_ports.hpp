#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace berth {

// The ports an app's files name: `<NAME>_PORT=N` lines of `.env` for the pool's port names,
// else the first host port each compose service of that name publishes. Empty when neither;
// `from` names the file they came from.
std::map<std::string, std::uint16_t> find_app_ports(const std::filesystem::path& dir,
                                                    const std::vector<std::string>& names,
                                                    std::string& from);

}  // namespace berth
