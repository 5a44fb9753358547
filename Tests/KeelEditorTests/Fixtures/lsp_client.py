"""Drives `keel lsp` with pygls' LanguageClient (PyPI), as an editor would.

Usage: lsp_client.py KEEL SCENARIO FOLDER
  session: open a strategy, type a broken expression character by character, then ask for
           hover, completion, definition, references, rename, code actions, semantic tokens.
  fuzz:    random edits of every curated strategy, each followed by requests at random places.
Prints one JSON object: what the server answered, with timings.
"""
import asyncio, json, os, random, sys, time

from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

KEEL, SCENARIO, FOLDER = sys.argv[1], sys.argv[2], sys.argv[3]


class Client(LanguageClient):
    def __init__(self):
        super().__init__("keel-test", "1")
        self.diagnostics = {}      # uri -> (version, [diagnostic])
        self.arrived = {}          # (uri, version) -> monotonic time
        self.event = asyncio.Event()


client = Client()


@client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
def published(ls, params):
    ls.diagnostics[params.uri] = (params.version, params.diagnostics)
    ls.arrived[(params.uri, params.version)] = time.monotonic()
    ls.event.set()


async def wait_for(uri, version, timeout=10.0):
    deadline = time.monotonic() + timeout
    while (uri, version) not in client.arrived:
        client.event.clear()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no diagnostics for {uri} version {version}")
        try:
            await asyncio.wait_for(client.event.wait(), remaining)
        except asyncio.TimeoutError:
            pass
    return client.diagnostics[uri][1]


def position(text, offset):
    """LSP position (UTF-16) of a character offset."""
    before = text[:offset]
    line = before.count("\n")
    column = before[before.rfind("\n") + 1:]
    return t.Position(line=line, character=len(column.encode("utf-16-le")) // 2)


def doc(uri):
    return t.TextDocumentIdentifier(uri=uri)


def plain(value):
    return json.loads(json.dumps(client.protocol._converter.unstructure(value)))


async def start():
    await client.start_io(KEEL, "lsp")
    result = await client.initialize_async(t.InitializeParams(
        process_id=os.getpid(), root_uri=None,
        capabilities=t.ClientCapabilities(general=t.GeneralClientCapabilities(position_encodings=[t.PositionEncodingKind.Utf16]))))
    client.initialized(t.InitializedParams())
    return result


async def stop():
    await client.shutdown_async(None)
    client.exit(None)
    server = client._server
    code = await asyncio.wait_for(server.wait(), 10)
    await client.stop()
    return code


async def session():
    out = {}
    result = await start()
    out["capabilities"] = plain(result.capabilities)
    path = os.path.join(FOLDER, "trend.yaml")
    text = open(path).read()
    uri = "file://" + path
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
    out["opened"] = plain(await wait_for(uri, 1))

    # Type ` and smaa(close, 3) > clse` at the end of the entry's long rule, one character at a time.
    anchor = text.index("crosses_above(fast_ma, slow_ma)") + len("crosses_above(fast_ma, slow_ma)")
    typed = " and smaa(close, 3) > clse"
    version = 1
    latencies = []
    for k, character in enumerate(typed):
        version += 1
        at = position(text, anchor + k)
        sent = time.monotonic()
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[t.TextDocumentContentChangePartial(range=t.Range(start=at, end=at), text=character)]))
        text = text[:anchor + k] + character + text[anchor + k:]
        await wait_for(uri, version)
        latencies.append((client.arrived[(uri, version)] - sent) * 1000)
    out["latencies_ms"] = latencies

    # A 200-line file: the same keystrokes, each linted and published.
    lines = text.split("\n")
    at_let = lines.index("let:") + 1
    many = [f"  l{k}: sma(close, {k % 40 + 2}) > ema(close, {k % 30 + 3}) and rsi(close, 14) < {30 + k % 40}" for k in range(175)]
    long_text = "\n".join(lines[:at_let] + many + lines[at_let:])
    long_uri = "file://" + os.path.join(FOLDER, "long.yaml")
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri=long_uri, language_id="yaml", version=1, text=long_text)))
    await wait_for(long_uri, 1)
    out["long_lines"] = long_text.count("\n") + 1
    long_latencies = []
    spot = long_text.index("rsi(close, 14) < 30") + len("rsi(close, 14) < 30")
    for k, character in enumerate(" and close > open"):
        p = position(long_text, spot + k)
        sent = time.monotonic()
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(uri=long_uri, version=k + 2),
            content_changes=[t.TextDocumentContentChangePartial(range=t.Range(start=p, end=p), text=character)]))
        long_text = long_text[:spot + k] + character + long_text[spot + k:]
        await wait_for(long_uri, k + 2)
        long_latencies.append((client.arrived[(long_uri, k + 2)] - sent) * 1000)
    out["long_latencies_ms"] = long_latencies
    client.text_document_did_close(t.DidCloseTextDocumentParams(doc(long_uri)))
    out["typed"] = plain(client.diagnostics[uri][1])
    out["text"] = text

    def at(needle, shift=0, occurrence=0):
        offset = -1
        for _ in range(occurrence + 1):
            offset = text.index(needle, offset + 1)
        return position(text, offset + shift)

    out["hover_sma"] = plain(await client.text_document_hover_async(t.HoverParams(doc(uri), at("sma(close, fast)", 1))))
    out["hover_stop_loss"] = plain(await client.text_document_hover_async(t.HoverParams(doc(uri), at("stop_loss:", 2))))
    out["hover_fast_ma"] = plain(await client.text_document_hover_async(t.HoverParams(doc(uri), at("fast_ma, slow_ma", 2))))
    out["hover_profile"] = plain(await client.text_document_hover_async(t.HoverParams(doc(uri), at("balanced", 2))))

    # A new line in the exit rule: `macd(close).` then completion after the dot.
    exit_at = text.index("crosses_below(fast_ma, slow_ma)")
    insert = "macd(close).signal > 0 and macd(close)."
    version += 1
    start_pos = position(text, exit_at)
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[t.TextDocumentContentChangePartial(range=t.Range(start=start_pos, end=start_pos), text=insert)]))
    text = text[:exit_at] + insert + text[exit_at:]
    await wait_for(uri, version)
    completion = await client.text_document_completion_async(t.CompletionParams(doc(uri), position(text, exit_at + len(insert))))
    out["members"] = sorted(item.label for item in completion.items)
    # Keys: at the start of an empty line under execution:.
    exec_line = text.index("  fill: next_open")
    version += 1
    p = position(text, exec_line)
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[t.TextDocumentContentChangePartial(range=t.Range(start=p, end=p), text="  \n")]))
    text = text[:exec_line] + "  \n" + text[exec_line:]
    await wait_for(uri, version)
    completion = await client.text_document_completion_async(t.CompletionParams(doc(uri), position(text, exec_line + 2)))
    out["execution_keys"] = sorted(item.label for item in completion.items)
    completion = await client.text_document_completion_async(t.CompletionParams(doc(uri), at("balanced", 0)))
    out["profile_words"] = sorted(item.label for item in completion.items)
    completion = await client.text_document_completion_async(t.CompletionParams(doc(uri), at("crosses_above(fast_ma", 3)))
    items = {item.label: item for item in completion.items}
    out["expression_items"] = sorted(items)
    out["sma_snippet"] = items["sma"].insert_text if "sma" in items else None

    out["definition"] = plain(await client.text_document_definition_async(t.DefinitionParams(doc(uri), at("fast_ma, slow_ma", 1))))
    out["references"] = plain(await client.text_document_references_async(t.ReferenceParams(
        text_document=doc(uri), position=at("sma(close, fast)", 12), context=t.ReferenceContext(include_declaration=True))))
    out["rename"] = plain(await client.text_document_rename_async(t.RenameParams(doc(uri), at("fast_ma:", 1), "quick_ma")))
    try:
        await client.text_document_rename_async(t.RenameParams(doc(uri), at("fast_ma:", 1), "sma"))
        out["rename_refused"] = None
    except Exception as error:
        out["rename_refused"] = str(error)

    messy_path = os.path.join(FOLDER, "messy.yaml")
    messy_uri = "file://" + messy_path
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri=messy_uri, language_id="yaml", version=1, text=open(messy_path).read())))
    await wait_for(messy_uri, 1)
    out["formatting"] = plain(await client.text_document_formatting_async(t.DocumentFormattingParams(
        text_document=doc(messy_uri), options=t.FormattingOptions(tab_size=2, insert_spaces=True))))

    # The nearest .keel-lint.yaml re-grades rules, as for keel lint.
    unused_path = os.path.join(FOLDER, "unused.yaml")
    unused_uri = "file://" + unused_path
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri=unused_uri, language_id="yaml", version=1, text=open(unused_path).read())))
    out["configured"] = plain(await wait_for(unused_uri, 1))

    # A labelled argument in a plain block value: YAML reads ': ' as a mapping; the fix quotes it.
    quote_uri = "file://" + os.path.join(FOLDER, "quote.yaml")
    quote_text = "keel: 1\nentry:\n  long: rsi(close, n: 14) < 30\n"
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri=quote_uri, language_id="yaml", version=1, text=quote_text)))
    broken = await wait_for(quote_uri, 1)
    out["quote_actions"] = plain(await client.text_document_code_action_async(t.CodeActionParams(
        doc(quote_uri), broken[0].range, t.CodeActionContext(diagnostics=list(broken)))))

    diagnostics = client.diagnostics[uri][1]
    smaa = next(d for d in diagnostics if d.code == "unknown-function")
    actions = await client.text_document_code_action_async(t.CodeActionParams(doc(uri), smaa.range, t.CodeActionContext(diagnostics=[smaa])))
    out["actions"] = plain(actions)
    tokens = await client.text_document_semantic_tokens_full_async(t.SemanticTokensParams(doc(uri)))
    out["semantic_tokens"] = tokens.data
    out["exit_code"] = await stop()
    print(json.dumps(out))


async def fuzz():
    seed = int(os.environ.get("KEEL_FUZZ_SEED", "1"))
    edits = int(os.environ.get("KEEL_FUZZ_EDITS", "150"))
    rng = random.Random(seed)
    await start()
    requests = 0
    alphabet = "abcdeflmnorstx_(),.:[]{}-#'\"|>% 0123456789\n\té€😀"
    for name in sorted(os.listdir(FOLDER)):
        if not name.endswith(".yaml"):
            continue
        path = os.path.join(FOLDER, name)
        text = open(path).read()
        uri = "file://" + path
        client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)))
        version = 1
        for _ in range(edits):
            version += 1
            a = rng.randrange(len(text) + 1)
            b = min(len(text), a + rng.choice([0, 0, 1, 2, 5, 20]))
            kind = rng.random()
            if kind < 0.4:
                new = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))
            elif kind < 0.6:
                new = ""
            else:
                s = rng.randrange(len(text) + 1)
                new = text[s:s + rng.randint(1, 30)]
            client.text_document_did_change(t.DidChangeTextDocumentParams(
                text_document=t.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[t.TextDocumentContentChangePartial(range=t.Range(start=position(text, a), end=position(text, b)), text=new)]))
            text = text[:a] + new + text[b:]
            spot = position(text, rng.randrange(len(text) + 1))
            await client.text_document_hover_async(t.HoverParams(doc(uri), spot))
            await client.text_document_completion_async(t.CompletionParams(doc(uri), spot))
            await client.text_document_definition_async(t.DefinitionParams(doc(uri), spot))
            await client.text_document_semantic_tokens_full_async(t.SemanticTokensParams(doc(uri)))
            await client.text_document_code_action_async(t.CodeActionParams(doc(uri), t.Range(start=spot, end=spot), t.CodeActionContext(diagnostics=[])))
            await client.text_document_references_async(t.ReferenceParams(text_document=doc(uri), position=spot, context=t.ReferenceContext(include_declaration=True)))
            try:
                await client.text_document_rename_async(t.RenameParams(doc(uri), spot, "renamed"))
            except Exception:
                pass  # "only a let or a param can be renamed here": an answer, not a crash
            requests += 7
        await wait_for(uri, version)
    # The alias bomb: refused as quickly as keel lint refuses it.
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(f"{chr(98 + k)}: &{chr(98 + k)} [*{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}]\n" for k in range(9))
    uri = "file://" + os.path.join(FOLDER, "bomb.yaml")
    sent = time.monotonic()
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=bomb)))
    diagnostics = await wait_for(uri, 1)
    bomb_ms = (time.monotonic() - sent) * 1000
    hover = await client.text_document_hover_async(t.HoverParams(doc(uri), t.Position(line=3, character=4)))
    print(json.dumps({"requests": requests, "bomb_ms": bomb_ms, "bomb_codes": sorted({d.code for d in diagnostics}),
                      "alive": hover is None or hover is not None, "exit_code": await stop()}))


asyncio.run(session() if SCENARIO == "session" else fuzz())
