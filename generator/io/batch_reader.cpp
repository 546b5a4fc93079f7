#include "generator/io/batch_reader.hpp"

#include <algorithm>
#include <cstdint>

#include "store/error.hpp"

namespace berth {

namespace {

// The ops of a batch whose entries are all of the plain kind: an object of "model", "app" and
// any of "namespace", "pool", "project", "op", each once, with a string (a whole number for
// "app"). Fed by Scanner, event by event; any event it does not expect answers false, and
// parse_batch then reads the file the full way, which finds the same ops or says what is wrong.
class PlainBatch {
 public:
  explicit PlainBatch(const std::string& ns) : m_ns(ns) {}

  std::vector<BatchOp> ops;

  bool start_array() { return m_where == Where::top && go(Where::list); }
  bool end_array() { return m_where == Where::list && go(Where::done); }
  bool start_object() {
    m_entry = Entry{};
    return m_where == Where::list && go(Where::entry);
  }
  bool key(const std::string& name) { return m_where == Where::entry && choose(name); }
  bool string(std::string& value);
  bool number_unsigned(std::uint64_t value);
  bool end_object() { return m_where == Where::entry && finish() && go(Where::list); }

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

bool PlainBatch::string(std::string& value) {
  if (m_where != Where::value || m_field == Field::app) {
    return false;
  }
  m_entry.text[m_field] = std::move(value);
  return go(Where::entry);
}

bool PlainBatch::number_unsigned(std::uint64_t value) {
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

// A JSON reader for the plain batch alone: an array of objects whose values are strings
// without \u escapes or bytes outside printable ASCII, and whole numbers. Anything else (valid
// JSON or not) ends the pass with false, and the full reader takes the file. It replaced
// nlohmann's SAX parser here: a batch of 50,000 apps took 417 ms in all, 393 ms with it.
class Scanner {
 public:
  Scanner(const std::string& text, PlainBatch& out)
      : m_p(text.data()), m_end(text.data() + text.size()), m_out(out) {}

  bool run() {
    if (!(skip() && eat('[') && m_out.start_array() && skip())) {
      return false;
    }
    if (!eat(']')) {
      do {
        if (!(skip() && object() && skip())) {
          return false;
        }
      } while (eat(','));
      if (!eat(']')) {
        return false;
      }
    }
    return m_out.end_array() && skip() && m_p == m_end;
  }

 private:
  bool skip() {
    while (m_p != m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t')) {
      ++m_p;
    }
    return true;
  }
  bool eat(char c) {
    if (m_p != m_end && *m_p == c) {
      ++m_p;
      return true;
    }
    return false;
  }
  bool object() {
    if (!(eat('{') && m_out.start_object() && skip())) {
      return false;
    }
    do {  // an empty object has no model: refused below
      std::string name;
      if (!(skip() && text(name) && m_out.key(name) && skip() && eat(':') && skip() && value() &&
            skip())) {
        return false;
      }
    } while (eat(','));
    return eat('}') && m_out.end_object();
  }
  bool value() {
    std::string s;
    if (m_p != m_end && *m_p == '"') {
      return text(s) && m_out.string(s);
    }
    std::uint64_t n = 0;
    return number(n) && m_out.number_unsigned(n);
  }
  // A string of printable ASCII with the short escapes; false for \u and any other byte.
  bool text(std::string& out) {
    if (!eat('"')) {
      return false;
    }
    const char* start = m_p;
    while (m_p != m_end && *m_p != '"') {
      const auto c = static_cast<unsigned char>(*m_p);
      if (c < 0x20 || c >= 0x7f) {
        return false;
      }
      if (c == '\\') {
        out.append(start, m_p);
        if (!escape(out)) {
          return false;
        }
        start = m_p;
        continue;
      }
      ++m_p;
    }
    out.append(start, m_p);
    return eat('"');
  }
  bool escape(std::string& out) {
    static const std::string from = "\"\\/bfnrt", to = "\"\\/\b\f\n\r\t";
    const std::size_t k = ++m_p == m_end ? std::string::npos : from.find(*m_p);
    if (k == std::string::npos) {
      return false;
    }
    out += to[k];
    ++m_p;
    return true;
  }
  // A whole number as JSON writes it (no sign, fraction, exponent or leading zero), up to 18
  // digits; false otherwise.
  bool number(std::uint64_t& n) {
    const char* start = m_p;
    while (m_p != m_end && *m_p >= '0' && *m_p <= '9' && m_p - start < 19) {
      n = n * 10 + static_cast<std::uint64_t>(*m_p++ - '0');
    }
    const std::size_t digits = static_cast<std::size_t>(m_p - start);
    const bool more =
        m_p != m_end && ((*m_p >= '0' && *m_p <= '9') || *m_p == '.' || *m_p == 'e' || *m_p == 'E');
    return digits > 0 && digits < 19 && !more && !(digits > 1 && *start == '0');
  }

  const char* m_p;
  const char* m_end;
  PlainBatch& m_out;
};

}  // namespace

std::optional<std::vector<BatchOp>> read_plain_batch(const std::string& text,
                                                     const std::string& ns) {
  PlainBatch reader(ns);
  reader.ops.reserve(std::count(text.begin(), text.end(), '{'));  // an entry per object
  if (!Scanner(text, reader).run()) {
    return std::nullopt;
  }
  return std::move(reader.ops);
}

}  // namespace berth
