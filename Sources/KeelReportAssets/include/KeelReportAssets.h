// The files a report inlines, built into the binary: a report is one HTML file made anywhere,
// with nothing to find beside the executable.
#ifndef KEEL_REPORT_ASSETS_H
#define KEEL_REPORT_ASSETS_H

typedef struct {
    const unsigned char *bytes;
    unsigned long count;
} keel_asset;

// Plotly's minified bundle, gzipped (vendor/plotly.min.js.gz of vendor/plotly.min.js, MIT: vendor/plotly-LICENSE.txt).
keel_asset keel_asset_plotly_gz(void);
// The report's own script and style sheet (report.js, report.css).
keel_asset keel_asset_report_js(void);
keel_asset keel_asset_report_css(void);

#endif
