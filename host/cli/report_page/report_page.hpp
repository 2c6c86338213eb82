// The HTML report's page (host/cli/report_page/, docs/html-report.md), built into the host. A
// report is report_page_before_data(), then the report's JSON document (format 1) with every
// "</" written "<\/" and every "<!--" written "<\u0021--", then report_page_after_data(). The
// JSON lands inside <script id="rh-report-data" type="application/json">, which the page
// provides: write nothing else between the two parts.
#pragma once

#include <string_view>

namespace rh::host {

// The page up to where the report's JSON goes.
std::string_view report_page_before_data();

// The rest of the page, after the JSON.
std::string_view report_page_after_data();

}  // namespace rh::host
