// #embed (C23; clang takes it in any mode) reads the files at compile time, next to this one:
// a 4.8 MB array compiles in a blink, where a Swift literal of it would not compile at all.
#pragma clang diagnostic ignored "-Wc23-extensions"
#include "KeelReportAssets.h"

static const unsigned char plotly[] = {
#embed "vendor/plotly.min.js"
};
static const unsigned char report_js[] = {
#embed "report.js"
};
static const unsigned char report_css[] = {
#embed "report.css"
};

keel_asset keel_asset_plotly(void) { return (keel_asset){plotly, sizeof plotly}; }
keel_asset keel_asset_report_js(void) { return (keel_asset){report_js, sizeof report_js}; }
keel_asset keel_asset_report_css(void) { return (keel_asset){report_css, sizeof report_css}; }
