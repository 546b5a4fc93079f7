#pragma once

#include <string>
#include <vector>

#include "store/json_read.hpp"
#include "store/model.hpp"

// The readers of the JSON files users hand to berth (batch and import files), through the one
// checked reader (store/json_read.hpp). Each throws a usage error naming the file, the entry and
// the field; none ever wraps, truncates or guesses a value.
namespace berth {

// The entry's model (validated), app number (field `app_field`, 1 to 1,000,000) and namespace
// (field "namespace", validated; `ns` when it has none).
AppKey entry_key(const JsonFields& entry, const char* app_field, const std::string& ns = {});
// The entry's "ports" object: name -> port (1 to 65535).
std::map<std::string, std::uint16_t> entry_ports(const JsonFields& entry);

// A batch file: a JSON list of {"model", "app", "namespace"?, "pool"?, "ports"?, "project"?,
// "op"?: "reserve"|"release"}; an entry without a namespace is in `ns`. The usual file is read
// without a document (read_plain_batch); any other goes through batch_ops.
std::vector<BatchOp> parse_batch(const std::string& path, const std::string& ns = {});
// The full reader of a batch file's document, with an error for each mistake; `path` names the
// file in them.
std::vector<BatchOp> batch_ops(const nlohmann::json& doc, const std::string& path,
                               const std::string& ns);

// One record of the earlier system (a port_config.json entry, a database row as JSON): the
// model as "model" or "model_name", the app as "app_number" or "app_num", "backend_port" and
// "frontend_port", numbers as JSON integers or digit strings; other fields are ignored. Its
// ports are pinned in the default pool.
ReserveRequest legacy_entry(const JsonFields& entry);

// The earlier system's live SQLite database: every row of `port_configurations` (model,
// app_num, backend_port, frontend_port), read-only. Rows are labelled "FILE: row ID".
std::vector<ReserveRequest> parse_sqlite(const std::string& path);

// An import file: seed 001's port_config.json (a list) or a berth export (an object).
void parse_import(const std::string& path, std::vector<Pool>& pools,
                  std::vector<ReserveRequest>& requests, std::vector<Lease>* leases = nullptr);

}  // namespace berth
