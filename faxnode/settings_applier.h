// The node's side of central settings (docs/settings.md, "Push, apply, acknowledge"): which
// version of its settings document runs, applying a new one all or nothing, and
// <spool_dir>/settings.json, which replaces the INI file's lines, time zone and gateway secret
// at the next start.
//
// settings.json is {"version": n, "settings": {... the document, with its secret}}, mode
// 0600, written to a temporary file beside it, fsynced, renamed over the old one, and the
// directory fsynced: after a crash there is the old file or the new one.
//
// Applying version n: the document is checked (common/node_settings.h, and its node_id must be
// ours), written to the temporary file, applied to the line manager (which builds every
// driver first and changes nothing if one refuses), and only then renamed into place; if the
// lines refuse it, the temporary file is removed. So the node never keeps on disk what it does
// not run, and never runs what it could not keep (a failed rename puts the previous lines
// back). A document without "secret" keeps the secret in use.
//
// Diagnostics: SettingsResult says what came of an apply, with the refused field's path;
// loadSettingsFile() throws settings::SettingsError naming the file.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "common/node_settings.h"
#include "faxnode/line_manager.h"

namespace faxgate::node {

enum class SettingsOutcome {
    Applied,         // now in use and persisted: 200 {"applied_version": n}
    AlreadyApplied,  // this version with this document is what runs: 200, nothing done
    Invalid,         // the document is refused, nothing changed: 422 {"error": "<field>: ..."}
    Outdated,        // older than the version in use, nothing changed: 409
    Failed,          // could not be persisted, nothing changed: 500
};

struct SettingsResult {
    SettingsOutcome outcome = SettingsOutcome::Invalid;
    int64_t appliedVersion = 0;  // the version in use after the call
    std::string error;           // why, for Invalid, Outdated and Failed
};

// A settings document and its version: 0 for the INI file's settings.
struct PersistedSettings {
    int64_t version = 0;
    settings::NodeSettings settings;
};

// <spool_dir>/settings.json
std::string settingsFilePath(const std::string& spoolDir);

// Reads a settings.json. nullopt if the file does not exist; throws settings::SettingsError
// "<path>: <reason>" if it cannot be read or is not a valid document.
std::optional<PersistedSettings> loadSettingsFile(const std::string& path);

// Thread-safety: apply() calls are serialised (one at a time, from the node API's threads and
// the gateway link's); the accessors may be called from any thread at any time.
class SettingsApplier {
  public:
    // `running` is what the line manager runs now (from the INI file or settings.json).
    SettingsApplier(std::string settingsPath, LineManager& lines, PersistedSettings running);

    // `json` is the settings document of version `version`.
    SettingsResult apply(int64_t version, const std::string& json);
    SettingsResult apply(int64_t version, settings::NodeSettings document);

    int64_t appliedVersion() const;
    // The secret for hello: the one of the document in use.
    std::string secret() const;
    // The document in use as JSON (its "version" is the applied version).
    std::string documentJson(bool includeSecret) const;

  private:
    const std::string settingsPath_;
    LineManager& lines_;

    std::mutex applyMutex_;  // one apply at a time

    mutable std::mutex mutex_;
    PersistedSettings running_;  // REQUIRES mutex_
};

}  // namespace faxgate::node
