// #embed (C23; clang takes it in any mode) reads the files at compile time, next to this one:
// a 4.8 MB array compiles in a blink, where a Swift literal of it would not compile at all.
#pragma clang diagnostic ignored "-Wc23-extensions"
#include "KeelReportAssets.h"

// Gzipped in the repository (`gzip -9 -n`, checked against the .js by a test): the report carries it
// packed, so nothing is compressed per report, and the binary is 3.4 MB smaller.
static const unsigned char plotly_gz[] = {
#embed "vendor/plotly.min.js.gz"
};
static const unsigned char report_js[] = {
#embed "report.js"
};
static const unsigned char report_css[] = {
#embed "report.css"
};

keel_asset keel_asset_plotly_gz(void) { return (keel_asset){plotly_gz, sizeof plotly_gz}; }
keel_asset keel_asset_report_js(void) { return (keel_asset){report_js, sizeof report_js}; }
keel_asset keel_asset_report_css(void) { return (keel_asset){report_css, sizeof report_css}; }
