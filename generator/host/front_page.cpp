#include "generator/host/front_page.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "generator/host/proxy.hpp"

namespace berth {

namespace {

std::string html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

const char k_head[] = R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>berth front door</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2329; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
h2 { font-size: 1.05rem; margin: 1.6rem 0 .4rem; }
input { font-size: 1rem; padding: .45rem .6rem; width: min(32rem, 100%); }
table { border-collapse: collapse; table-layout: fixed; width: min(64rem, 100%); }
th, td { text-align: left; padding: .25rem .9rem .25rem 0; border-bottom: 1px solid #e3e6e8;
  overflow-wrap: anywhere; }
col.number { width: 4rem; } col.project { width: 24rem; } col.ports { width: 17rem; }
col.id { width: 28rem; }
th { font-weight: 600; color: #56606a; }
.note { color: #56606a; }
</style>
</head>
<body>
<h1>berth front door</h1>
)";

const char k_tail[] = R"(<p id="none" class="note" hidden>Nothing matches.</p>
<script>
const search = document.getElementById("search");
search.addEventListener("input", () => {
  const words = search.value.toLowerCase().split(/\s+/).filter(w => w);
  let shown = 0;
  for (const section of document.querySelectorAll("section")) {
    let rows = 0;
    for (const row of section.querySelectorAll("tr[data-search]")) {
      row.hidden = !words.every(w => row.dataset.search.includes(w));
      rows += row.hidden ? 0 : 1;
    }
    section.hidden = rows === 0;
    shown += rows;
  }
  document.getElementById("none").hidden = shown > 0;
});
// A link to the page may carry a search: http://localhost/#q=claude
if (location.hash.startsWith("#q=")) {
  search.value = decodeURIComponent(location.hash.slice(3));
  search.dispatchEvent(new Event("input"));
}
</script>
</body>
</html>
)";

std::string ports_of(const Reservation& r) {
  std::string out;
  for (const auto& p : r.ports) {
    out += (out.empty() ? "" : ", ") + p.name + " " + std::to_string(p.port);
  }
  return out;
}

// One app's row; `who`: also its owner and namespace columns.
std::string app_row(const Reservation& r, const std::string& listen, bool who) {
  std::string search = r.key.model + " " + std::to_string(r.key.app) + " " + r.project + " " +
                       ports_of(r) + " " + r.owner + " " + r.key.ns;
  std::string row = "<tr data-search=\"" + html(lower(search)) + "\"><td>" +
                    std::to_string(r.key.app) + "</td><td><a href=\"" +
                    html(front_door_url(r.project, listen)) + "\">" + html(r.project) +
                    "</a></td><td>" + html(ports_of(r)) + "</td>";
  if (who) {
    row += "<td>" + html(r.owner) + "</td><td>" + html(r.key.ns) + "</td>";
  }
  return row + "</tr>\n";
}

std::string apps_by_model(const std::vector<Reservation>& apps, const std::string& listen) {
  const bool who = std::any_of(apps.begin(), apps.end(), [](const Reservation& r) {
    return !r.owner.empty() || !r.key.ns.empty();
  });
  std::map<std::string, std::vector<const Reservation*>> models;
  for (const auto& r : apps) {
    models[r.key.model].push_back(&r);
  }
  std::string out;
  for (const auto& [model, rows] : models) {
    out += "<section>\n<h2>" + html(model) + "</h2>\n<table>\n" +
           "<colgroup><col class=\"number\"><col class=\"project\"><col class=\"ports\">" +
           (who ? "<col><col>" : "") + "</colgroup>\n<tr><th>App</th><th>Project</th>" +
           "<th>Ports</th>" + (who ? "<th>Owner</th><th>Namespace</th>" : "") + "</tr>\n";
    for (const auto* r : rows) {
      out += app_row(*r, listen, who);
    }
    out += "</table>\n</section>\n";
  }
  return out;
}

std::string previews(const std::vector<Lease>& leases) {
  if (leases.empty()) {
    return "";
  }
  std::string out =
      "<section>\n<h2>Previews</h2>\n<table>\n<colgroup><col class=\"id\"><col class=\"ports\">"
      "<col></colgroup>\n<tr><th>Id</th><th>Port</th><th>Pool</th></tr>\n";
  for (const auto& l : leases) {
    const std::string port = std::to_string(l.port);
    out += "<tr data-search=\"" + html(lower(l.id + " " + port + " " + l.pool)) + "\"><td>" +
           (url_safe(l.id) ? "<a href=\"/app/preview/" + l.id + "/\">" + l.id + "</a>"
                           : html(l.id) + " (no path: its id cannot stand in a URL)") +
           "</td><td>" + port + "</td><td>" + html(l.pool) + "</td></tr>\n";
  }
  return out + "</table>\n</section>\n";
}

}  // namespace

std::string front_door_url(const std::string& project, const std::string& listen) {
  const std::string port = listen.substr(listen.rfind(':') + 1);
  return "http://" + (project.empty() ? "" : project + ".") + "localhost" +
         (port == "80" ? "" : ":" + port) + "/";
}

std::string front_page(const std::vector<Reservation>& apps, const std::vector<Lease>& leases,
                       const std::string& listen) {
  std::map<std::string, int> models;
  for (const auto& r : apps) {
    ++models[r.key.model];
  }
  const std::string summary = std::to_string(apps.size()) + " app(s) of " +
                              std::to_string(models.size()) + " model(s), " +
                              std::to_string(leases.size()) + " preview(s)";
  return k_head + std::string("<p class=\"note\">") + summary +
         ", as <code>berth proxy</code> last wrote them.</p>\n"
         "<input id=\"search\" type=\"search\" placeholder=\"Search: model, app, project, port, "
         "owner\" aria-label=\"Search\" autofocus>\n" +
         apps_by_model(apps, listen) + previews(leases) + k_tail;
}

}  // namespace berth
