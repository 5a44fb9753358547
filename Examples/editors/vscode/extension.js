// Starts `keel lsp` for the YAML files that are Keel strategies (the `keel.files` glob).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("keel");
  const command = settings.get("path", "keel");
  client = new LanguageClient(
    "keel",
    "Keel",
    { command, args: ["lsp"] },
    { documentSelector: [{ scheme: "file", language: "yaml", pattern: settings.get("files") }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
