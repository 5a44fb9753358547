// What the editor tools carry in the binary: the curated strategies `keel new` starts from and the
// strategy files' JSON Schema, so an installed keel needs nothing beside its executable.
#ifndef KEEL_EDITOR_ASSETS_H
#define KEEL_EDITOR_ASSETS_H

typedef struct {
    const char *name;
    const unsigned char *bytes;
    unsigned long count;
} keel_editor_file;

// The curated strategies (Strategies/*.yaml), in file-name order; `count` set to how many.
const keel_editor_file *keel_editor_strategies(unsigned long *count);
// Grammar/keel-strategy.schema.json.
keel_editor_file keel_editor_schema(void);

#endif
