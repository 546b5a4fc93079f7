#pragma once

#include <cstdint>
#include <string>

#include "store/model.hpp"

namespace berth {

// The seed rule: lowercased, every byte other than [a-z0-9] turned into '-', runs of '-'
// collapsed, leading and trailing '-' dropped. A model with no letter or digit gives "model".
// "anthropic_claude-4.5-haiku-20251001" -> "anthropic-claude-4-5-haiku-20251001".
std::string model_slug(const std::string& model);

// Docker's rule for compose project names: [a-z0-9][a-z0-9_-]*, at most 63 bytes.
bool is_valid_project_name(const std::string& name);

// The candidates for a reservation's project name, tried in order until one is free:
//   k = 0: "<slug>-app<N>" when it fits in 63 bytes, else the k = 1 form;
//   k >= 1: "<slug'>-<h>-app<N>", where h is 8 hex digits of FNV-1a-64 over the model
//           (k = 1) or over "<model>#<k>" (k >= 2), and slug' is the slug cut so the name
//           fits in 63 bytes (trailing '-' dropped).
// So a model whose seed name is taken by another model, or is too long, gets a distinct, valid
// and stable name. An app in a namespace puts "<namespace>-" in front of the slug (kept whole
// when the slug is cut: a namespace is at most 24 bytes) and hashes "<namespace>\x02<model>".
std::string project_candidate(const AppKey& key, unsigned k);

// FNV-1a, 64 bits: small, stable across platforms and releases.
std::uint64_t fnv1a64(const std::string& data);

}  // namespace berth
