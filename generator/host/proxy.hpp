#pragma once

#include <set>
#include <string>
#include <vector>

#include "store/model.hpp"

namespace berth {

// The front door's nginx configuration at the http level (an include): one server per app (by
// <project>.localhost) proxying to its `frontend` port (for the apps in `without_frontend`, which
// have no frontend part, its `backend` port; else its first), and one location per lease
// (/app/preview/<id>/) on the default server; all listening on `listen` (nginx's ADDR:PORT).
// The default server's `/` is the front page, `page_folder`/berth-index.html (front_page.hpp),
// or 404 when `page_folder` is empty.
std::string nginx_http(const std::vector<Reservation>& apps, const std::vector<Lease>& leases,
                       const std::string& listen, const std::set<AppKey>& without_frontend = {},
                       const std::string& page_folder = "");

// Whether a lease id can stand in a URL path as it is (and so in an nginx location).
bool url_safe(const std::string& id);

// The front page's file name, beside the configuration.
inline const char* const k_front_page_name = "berth-index.html";

// `http` wrapped into a whole nginx.conf whose every path is relative to nginx's prefix (-p), so
// it runs from any folder, as any user.
std::string nginx_standalone(const std::string& http);

}  // namespace berth
