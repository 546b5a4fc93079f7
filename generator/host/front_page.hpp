#pragma once

#include <string>
#include <vector>

#include "store/model.hpp"

namespace berth {

// The front door's page (`berth proxy -o FILE` writes it beside FILE, served at the default
// host's `/`): every app grouped by model (its number, project and link, ports, and owner and
// namespace when any app has them) and every preview, with a search box. One self-contained
// HTML file: no request of its own, the same bytes for the same store. `listen` is nginx's
// ADDR:PORT, for the links.
std::string front_page(const std::vector<Reservation>& apps, const std::vector<Lease>& leases,
                       const std::string& listen);

// The link of an app behind the front door: http://<project>.localhost[:PORT]/; with an empty
// project, the front page's own: http://localhost[:PORT]/. PORT is `listen`'s, left out when 80.
std::string front_door_url(const std::string& project, const std::string& listen);

}  // namespace berth
