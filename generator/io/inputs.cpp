#include "generator/io/inputs.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>

#include <sqlite3.h>

#include "generator/io/batch_reader.hpp"
#include "generator/io/fileio.hpp"
#include "store/error.hpp"

namespace berth {

using nlohmann::json;

AppKey entry_key(const JsonFields& e, const char* app_field, const std::string& ns) {
  AppKey key{e.string("model"), 0, e.string_or("namespace", ns)};
  try {
    validate_model(key.model);
    if (e.has("namespace") || !key.ns.empty()) {
      validate_namespace(key.ns);
    }
  } catch (const Error& err) {
    e.fail(err.what());
  }
  key.app = static_cast<std::uint32_t>(e.integer(app_field, 1, k_max_app));
  return key;
}

std::map<std::string, std::uint16_t> entry_ports(const JsonFields& e) {
  std::map<std::string, std::uint16_t> out;
  for (const auto& [name, port] : e.object("ports").items()) {
    out[name] =
        static_cast<std::uint16_t>(json_integer(port, 1, 65535, "port " + quote(name), e.where()));
  }
  return out;
}

std::vector<BatchOp> parse_batch(const std::string& path, const std::string& ns) {
  const std::string text = read_file(path);
  if (auto plain = read_plain_batch(text, ns)) {
    return std::move(*plain);  // the usual file, read without a document
  }
  return batch_ops(parse_json(text, quote(path)), path, ns);
}

std::vector<BatchOp> batch_ops(const json& doc, const std::string& path, const std::string& ns) {
  if (!doc.is_array()) {
    throw usage_error(quote(path) + " must hold a JSON list of {\"model\", \"app\"} objects");
  }
  std::vector<BatchOp> ops;
  ops.reserve(doc.size());
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const JsonFields e(doc[i], path + ": entry " + std::to_string(i + 1));
    e.only({"model", "app", "namespace", "pool", "ports", "project", "op", "extra"});
    BatchOp op;
    op.request.key = entry_key(e, "app", ns);
    const std::string kind = e.string_or("op", "reserve");
    if (kind == "release") {
      op.kind = BatchOp::Kind::release;
    } else if (kind != "reserve") {
      e.fail("op " + quote(kind) + " is neither \"reserve\" nor \"release\"");
    }
    op.request.pool = e.string_or("pool", "");
    if (e.has("ports")) {
      op.request.pins = entry_ports(e);
    }
    op.request.project = e.string_or("project", "");
    op.request.extra = e.strings_or("extra", {});
    ops.push_back(std::move(op));
  }
  return ops;
}

namespace {

// A number of the earlier system's records: a JSON integer or a string of decimal digits
// ("5001"), in [min, max].
long long legacy_number(const JsonFields& e, const char* field, long long min, long long max) {
  if (!e.has(field)) {
    return e.integer(field, min, max);  // throws: missing
  }
  const json& v = e.raw(field);
  if (!v.is_string()) {
    return e.integer(field, min, max);
  }
  const std::string text = v.get<std::string>();
  const bool digits =
      !text.empty() && text.size() <= 9 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  const long long n = digits ? std::stoll(text) : -1;
  if (!digits || n < min || n > max) {
    e.fail("'" + std::string(field) + "' must be a whole number from " + std::to_string(min) +
           " to " + std::to_string(max) + ", not " + json_shown(v));
  }
  return n;
}

// The first of `names` the entry has (the earlier system wrote one or the other).
const char* either(const JsonFields& e, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (e.has(name)) {
      return name;
    }
  }
  return *names.begin();
}

}  // namespace

ReserveRequest legacy_entry(const JsonFields& e) {
  ReserveRequest r;
  const char* model_field = either(e, {"model", "model_name"});
  if (e.has("model") && e.has("model_name") && e.raw("model") != e.raw("model_name")) {
    e.fail("'model' " + json_shown(e.raw("model")) + " and 'model_name' " +
           json_shown(e.raw("model_name")) + " disagree");
  }
  r.key.model = e.string(model_field);
  try {
    validate_model(r.key.model);
  } catch (const Error& err) {
    e.fail(err.what());
  }
  r.key.app = static_cast<std::uint32_t>(
      legacy_number(e, either(e, {"app_number", "app_num"}), 1, k_max_app));
  r.pool = k_default_pool;
  for (const char* role : {"backend", "frontend"}) {
    const std::string f = std::string(role) + "_port";
    r.pins[role] = static_cast<std::uint16_t>(legacy_number(e, f.c_str(), 1, 65535));
  }
  return r;
}

namespace {

// One reservation of a berth export: every port pinned, its project name kept.
ReserveRequest export_reservation(const JsonFields& e) {
  e.only({"model", "app", "namespace", "pool", "ports", "project", "extra", "owner"});
  ReserveRequest r;
  r.key = entry_key(e, "app");
  r.pool = e.string("pool");
  r.pins = entry_ports(e);
  r.project = e.string("project");
  r.extra = e.strings_or("extra", {});
  r.owner = e.string_or("owner", "");
  if (e.has("owner")) {
    try {
      validate_owner(r.owner);
    } catch (const Error& err) {
      e.fail(err.what());
    }
  }
  return r;
}

}  // namespace

// import: seed 001's port_config.json (a list) or berth's export (an object).
void parse_import(const std::string& path, std::vector<Pool>& pools,
                  std::vector<ReserveRequest>& requests, std::vector<Lease>* leases) {
  const json doc = read_json_file(path);
  if (doc.is_array()) {
    for (std::size_t i = 0; i < doc.size(); ++i) {
      const JsonFields e(doc[i], path + ": entry " + std::to_string(i + 1));
      requests.push_back(legacy_entry(e));
    }
    return;
  }
  if (!doc.is_object() || !doc.contains("berth_export")) {
    throw usage_error(quote(path) +
                      " is neither a port_config.json list nor a berth export object");
  }
  const JsonFields top(doc, path);
  if (doc["berth_export"] != 1) {
    throw usage_error(quote(path) + " is a berth export of format " +
                      json_shown(doc["berth_export"]) + "; this berth reads format 1");
  }
  top.only({"berth_export", "excluded", "pools", "reservations", "leases"});
  if (top.has("leases")) {
    const json& list = top.array("leases");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const JsonFields e(list[i], path + ": lease " + std::to_string(i + 1));
      e.only({"id", "pool", "port", "acquired", "last_active", "ttl", "owner_pid"});
      Lease l;
      l.id = e.string("id");
      l.pool = e.string("pool");
      l.port = static_cast<std::uint16_t>(e.integer("port", 1, 65535));
      l.acquired = e.integer("acquired", 0, 253402300799);
      l.last_active = e.integer("last_active", 0, 253402300799);
      l.ttl = e.integer("ttl", 0, 253402300799);
      l.owner_pid = e.integer("owner_pid", 0, INT32_MAX);
      if (leases) {
        leases->push_back(std::move(l));
      }
    }
  }
  if (top.has("pools")) {
    const json& list = top.array("pools");
    for (std::size_t i = 0; i < list.size(); ++i) {
      pools.push_back(pool_from_json(list[i], path + ": pool " + std::to_string(i + 1)));
    }
  }
  if (top.has("excluded")) {
    top.array("excluded");  // informative: the importing store keeps its own excluded ports
  }
  const json reservations = top.has("reservations") ? top.array("reservations") : json::array();
  for (std::size_t i = 0; i < reservations.size(); ++i) {
    requests.push_back(export_reservation(
        JsonFields(reservations[i], path + ": reservation " + std::to_string(i + 1))));
  }
}

namespace {

using Db = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;
using Stmt = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

// The earlier system's database, read-only.
Db open_sqlite(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw runtime_error("--sqlite " + quote(path) + " is not a file that can be read");
  }
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Db db(raw, sqlite3_close);
  if (opened != SQLITE_OK) {
    throw usage_error("--sqlite " + quote(path) +
                      " cannot be opened: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(opened)));
  }
  sqlite3_busy_timeout(db.get(), 5000);  // the earlier system may be writing: wait for it
  return db;
}

// Its port_configurations rows; a missing table or column is named.
Stmt select_rows(sqlite3* db, const std::string& path) {
  sqlite3_stmt* raw_stmt = nullptr;
  const char* query =
      "SELECT rowid, model, app_num, backend_port, frontend_port FROM port_configurations "
      "ORDER BY rowid";
  if (sqlite3_prepare_v2(db, query, -1, &raw_stmt, nullptr) != SQLITE_OK) {
    const std::string why = sqlite3_errmsg(db);
    if (why.find("no such table") != std::string::npos) {
      throw usage_error("--sqlite " + quote(path) +
                        " has no table port_configurations (the earlier system's; columns model, "
                        "app_num, backend_port, frontend_port)");
    }
    throw usage_error("--sqlite " + quote(path) + ": " + why +
                      (why.find("no such column") != std::string::npos
                           ? " (port_configurations needs model, app_num, backend_port, "
                             "frontend_port)"
                           : ""));
  }
  return Stmt(raw_stmt, sqlite3_finalize);
}

// A row as the JSON object the earlier system's file would hold, so the same checked reader
// reads it: a NULL, a fraction or a non-number string is named, never guessed.
json row_json(sqlite3_stmt* stmt) {
  const char* names[] = {"model", "app_num", "backend_port", "frontend_port"};
  json row = json::object();
  for (int c = 0; c < 4; ++c) {
    const int col = c + 1;
    switch (sqlite3_column_type(stmt, col)) {
      case SQLITE_INTEGER:
        row[names[c]] = static_cast<long long>(sqlite3_column_int64(stmt, col));
        break;
      case SQLITE_FLOAT:
        row[names[c]] = sqlite3_column_double(stmt, col);
        break;
      case SQLITE_NULL:
        row[names[c]] = nullptr;
        break;
      default: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
        row[names[c]] = std::string(text ? text : "",
                                    static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)));
      }
    }
  }
  return row;
}

}  // namespace

std::vector<ReserveRequest> parse_sqlite(const std::string& path) {
  const Db db = open_sqlite(path);
  const Stmt stmt = select_rows(db.get(), path);
  std::vector<ReserveRequest> out;
  for (;;) {
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      throw runtime_error("--sqlite " + quote(path) + ": " + sqlite3_errmsg(db.get()));
    }
    const json row = row_json(stmt.get());
    const std::string where = path + ": row " + std::to_string(sqlite3_column_int64(stmt.get(), 0));
    out.push_back(legacy_entry(JsonFields(row, where)));
  }
  return out;
}

}  // namespace berth
