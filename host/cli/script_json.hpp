// JSON text appended to a string, fit to sit inside an HTML <script> element: the HTML
// report's rows (cli/report_page_data.cpp) are written this way, a few times faster than
// building a JSON value per run, because they are encoded on the threads that retire runs.
// Strings come out valid UTF-8 (an invalid byte becomes U+FFFD, as nlohmann's "replace"
// does), with "</" written "<\/" and "<!--" written "<\u0021--" (report_page.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rh::host {

void append_json_string(std::string& out, std::string_view text);
void append_json_int(std::string& out, std::int64_t value);

}  // namespace rh::host
