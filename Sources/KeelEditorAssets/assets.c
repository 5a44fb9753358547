// #embed reads the files at compile time from the repository's Strategies/ and Grammar/ (a test
// checks the binary's copies equal them byte for byte).
#pragma clang diagnostic ignored "-Wc23-extensions"
#include "KeelEditorAssets.h"

static const unsigned char bollinger_reversion[] = {
#embed "../../Strategies/bollinger_reversion.yaml"
};
static const unsigned char conservative_ladder[] = {
#embed "../../Strategies/conservative_ladder.yaml"
};
static const unsigned char donchian_breakout[] = {
#embed "../../Strategies/donchian_breakout.yaml"
};
static const unsigned char macd_trend[] = {
#embed "../../Strategies/macd_trend.yaml"
};
static const unsigned char market_filter_trend[] = {
#embed "../../Strategies/market_filter_trend.yaml"
};
static const unsigned char momentum_rotation[] = {
#embed "../../Strategies/momentum_rotation.yaml"
};
static const unsigned char multi_timeframe[] = {
#embed "../../Strategies/multi_timeframe.yaml"
};
static const unsigned char rsi_mean_reversion[] = {
#embed "../../Strategies/rsi_mean_reversion.yaml"
};
static const unsigned char sma_cross[] = {
#embed "../../Strategies/sma_cross.yaml"
};
static const unsigned char schema[] = {
#embed "../../Grammar/keel-strategy.schema.json"
};

static const keel_editor_file strategies[] = {
    {"bollinger_reversion.yaml", bollinger_reversion, sizeof bollinger_reversion},
    {"conservative_ladder.yaml", conservative_ladder, sizeof conservative_ladder},
    {"donchian_breakout.yaml", donchian_breakout, sizeof donchian_breakout},
    {"macd_trend.yaml", macd_trend, sizeof macd_trend},
    {"market_filter_trend.yaml", market_filter_trend, sizeof market_filter_trend},
    {"momentum_rotation.yaml", momentum_rotation, sizeof momentum_rotation},
    {"multi_timeframe.yaml", multi_timeframe, sizeof multi_timeframe},
    {"rsi_mean_reversion.yaml", rsi_mean_reversion, sizeof rsi_mean_reversion},
    {"sma_cross.yaml", sma_cross, sizeof sma_cross},
};

const keel_editor_file *keel_editor_strategies(unsigned long *count) {
    *count = sizeof strategies / sizeof strategies[0];
    return strategies;
}

keel_editor_file keel_editor_schema(void) { return (keel_editor_file){"keel-strategy.schema.json", schema, sizeof schema}; }
