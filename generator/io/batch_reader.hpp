#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/model.hpp"

namespace berth {

// A batch file's ops read in one pass without a JSON document, when every entry is the plain
// kind (model, app, and any of namespace, pool, project, op, as strings): what parse_batch's
// full reader would make of it. nullopt for anything else, valid or not; the full reader then
// reads it, with its errors.
std::optional<std::vector<BatchOp>> read_plain_batch(const std::string& text,
                                                     const std::string& ns);

}  // namespace berth
