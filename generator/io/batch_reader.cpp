#include "generator/io/batch_reader.hpp"

#include <cstdint>

#include <nlohmann/json.hpp>

#include "store/error.hpp"

namespace berth {

namespace {

using nlohmann::json;

// Reads a batch in one SAX pass, without a document, as long as every entry is the plain kind:
// an object of "model", "app" and any of "namespace", "pool", "project", "op", each once, with
// a string (a whole number for "app"). Anything else stops the pass (returns false), and
// parse_batch reads the file the full way, which finds the same ops or says what is wrong.
class PlainBatch : public nlohmann::json_sax<json> {
 public:
  explicit PlainBatch(const std::string& ns) : m_ns(ns) {}

  std::vector<BatchOp> ops;

  bool start_array(std::size_t) override { return m_where == Where::top && go(Where::list); }
  bool end_array() override { return m_where == Where::list && go(Where::done); }
  bool start_object(std::size_t) override {
    m_entry = Entry{};
    return m_where == Where::list && go(Where::entry);
  }
  bool key(string_t& name) override { return m_where == Where::entry && choose(name); }
  bool string(string_t& value) override;
  bool number_unsigned(number_unsigned_t value) override;
  bool end_object() override { return m_where == Where::entry && finish() && go(Where::list); }

  bool null() override { return false; }
  bool boolean(bool) override { return false; }
  bool number_integer(number_integer_t) override { return false; }
  bool number_float(number_float_t, const string_t&) override { return false; }
  bool binary(binary_t&) override { return false; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  enum class Where { top, list, entry, value, done };
  enum Field : unsigned { model, app, ns, pool, project, op, count };
  struct Entry {
    std::string text[Field::count];
    std::uint64_t app = 0;
    unsigned given = 0;  // a bit per field
  };

  bool go(Where w) {
    m_where = w;
    return true;
  }
  bool choose(const std::string& name);
  bool finish();

  const std::string& m_ns;
  Where m_where = Where::top;
  Field m_field = Field::model;
  Entry m_entry;
};

bool PlainBatch::choose(const std::string& name) {
  static const char* const names[] = {"model", "app", "namespace", "pool", "project", "op"};
  for (unsigned f = 0; f < Field::count; ++f) {
    if (name == names[f]) {
      if (m_entry.given & (1u << f)) {
        return false;  // given twice: the full reader says so
      }
      m_entry.given |= 1u << f;
      m_field = static_cast<Field>(f);
      return go(Where::value);
    }
  }
  return false;
}

bool PlainBatch::string(string_t& value) {
  if (m_where != Where::value || m_field == Field::app) {
    return false;
  }
  m_entry.text[m_field] = std::move(value);
  return go(Where::entry);
}

bool PlainBatch::number_unsigned(number_unsigned_t value) {
  if (m_where != Where::value || m_field != Field::app) {
    return false;
  }
  m_entry.app = value;
  return go(Where::entry);
}

// The entry as parse_batch's full reader makes it; false where that reader would refuse it.
bool PlainBatch::finish() {
  Entry& e = m_entry;
  const auto given = [&](Field f) { return (e.given & (1u << f)) != 0; };
  if (!given(Field::model) || !given(Field::app) || e.app < 1 || e.app > k_max_app) {
    return false;
  }
  BatchOp op;
  const std::string& kind = e.text[Field::op];
  if (given(Field::op) && kind != "reserve" && kind != "release") {
    return false;
  }
  op.kind = kind == "release" ? BatchOp::Kind::release : BatchOp::Kind::reserve;
  AppKey& key = op.request.key;
  key.model = std::move(e.text[Field::model]);
  key.app = static_cast<std::uint32_t>(e.app);
  key.ns = given(Field::ns) ? std::move(e.text[Field::ns]) : m_ns;
  try {
    validate_model(key.model);
    if (given(Field::ns) || !key.ns.empty()) {
      validate_namespace(key.ns);
    }
  } catch (const Error&) {
    return false;
  }
  op.request.pool = std::move(e.text[Field::pool]);
  op.request.project = std::move(e.text[Field::project]);
  ops.push_back(std::move(op));
  return true;
}

}  // namespace

std::optional<std::vector<BatchOp>> read_plain_batch(const std::string& text,
                                                     const std::string& ns) {
  PlainBatch reader(ns);
  if (!json::sax_parse(text, &reader)) {
    return std::nullopt;
  }
  return std::move(reader.ops);
}

}  // namespace berth
