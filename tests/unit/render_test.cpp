#include <catch2/catch.hpp>

#include "generator/template/render.hpp"

using namespace berth;

namespace {

const Context ctx = {{"backend_port", "5001"}, {"project_name", "m-app1"}, {"model", "m"}};

std::string ok(const std::string& text) {
  const Rendered r = render(text, ctx, "t");
  INFO(text);
  REQUIRE(r.ok());
  return r.text;
}

}  // namespace

TEST_CASE("placeholders are filled") {
  CHECK(ok("{{backend_port}}") == "5001");
  CHECK(ok("port={{ backend_port }};") == "port=5001;");
  CHECK(ok("{{backend_port|5000}}") == "5001");  // the context wins over the default
  CHECK(ok("{{frontend_port|8000}}") == "8000");
  CHECK(ok("{{ frontend_port | 8000 }}") == "8000");
  CHECK(ok("{{missing|}}x") == "x");  // an empty default
  CHECK(ok("{{missing|a b:c}}") == "a b:c");
  CHECK(ok("{{project_name}}_backend {{project_name}}_frontend") ==
        "m-app1_backend m-app1_frontend");
  CHECK(ok("{{{project_name}}}") == "{m-app1}");
  CHECK(ok("") == "");
}

TEST_CASE("text that is not a placeholder passes through byte for byte") {
  for (const char* text : {
           "<main style={{ margin: 0 }}>",                 // JSX
           "{{ url_for('static', filename='app.css') }}",  // Jinja call
           "{{ .Name }}",                                  // Go
           "${PROJECT_NAME:-app}",                         // compose
           "{{#each items}}{{/each}}",                     // Handlebars blocks
           "{% if x %}{{ x.y }}{% endif %}",               // Jinja attribute
           "{{ 1 + 2 }}",                                  // not a key
           "{{backend_port",                               // unclosed
           "{{backend_port}",                              // half closed
           "{{backend_port|multi\nline}}",                 // default with newline
           "{{ backend-port }}",                           // not a key char
           "{ {backend_port}}",                            // not two braces
           "\\n\\t C:\\path",                              // backslashes
           "\xff\xfe binary \x00 bytes",                   // not UTF-8
       }) {
    const std::string s(text, std::char_traits<char>::length(text));
    CHECK(ok(s) == s);
  }
  const std::string with_nul("a\0{{backend_port}}b", 19);
  CHECK(ok(with_nul) == std::string("a\0"
                                    "5001b",
                                    7));
  CHECK(ok("${PROJECT_NAME:-{{project_name}}}_backend") == "${PROJECT_NAME:-m-app1}_backend");
}

TEST_CASE("a backslash writes a placeholder literally") {
  CHECK(ok("\\{{backend_port}}") == "{{backend_port}}");
  CHECK(ok("\\{{ unknown_key }}") == "{{ unknown_key }}");
  CHECK(ok("\\{{x|y}} {{backend_port}}") == "{{x|y}} 5001");
  CHECK(ok("\\\\{{backend_port}}") == "\\{{backend_port}}");  // only the last backslash escapes
  CHECK(ok("\\{ {{backend_port}}") == "\\{ 5001");
}

TEST_CASE("unknown placeholders without a default are located errors") {
  const Rendered r =
      render("line one\n  x = {{backend_prot}}\n\tü {{nope}} {{ other }}", ctx, "backend/app.py");
  REQUIRE(r.errors.size() == 3);
  CHECK(r.errors[0].to_string() ==
        "backend/app.py:2:7: unknown placeholder 'backend_prot' with no default; did you mean "
        "'backend_port'?");
  // Columns count characters: the tab and the two-byte ü are one column each.
  CHECK(r.errors[1].to_string() ==
        "backend/app.py:3:4: unknown placeholder 'nope' with no default; give it a default: "
        "{{nope|value}}");
  CHECK(r.errors[2].line == 3);
  CHECK(r.errors[2].column == 13);
  CHECK_FALSE(r.ok());
  CHECK(render("{{model}}", ctx, "f").errors.empty());
  const Rendered first = render("{{x}}", ctx, "f");
  CHECK(first.errors.at(0).line == 1);
  CHECK(first.errors.at(0).column == 1);
}

TEST_CASE("has_placeholder finds only what render would fill") {
  CHECK(has_placeholder("a {{key}} b"));
  CHECK(has_placeholder("{{ key | x }}"));
  CHECK_FALSE(has_placeholder("style={{ margin: 0 }}"));
  CHECK_FALSE(has_placeholder("\\{{key}}"));
  CHECK_FALSE(has_placeholder("${A:-b} {{ .Name }}"));
}
