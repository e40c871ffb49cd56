// Applying and persisting the node's central settings; see settings_applier.h.
#include "faxnode/settings_applier.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace faxgate::node {
namespace {

constexpr size_t kMaxSettingsFileBytes = 4 * 1024 * 1024;

Poco::Logger& logger() { return Poco::Logger::get("faxnode.settings"); }

std::string systemError(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

// The file's content: {"version": n, "settings": {...}}.
std::string fileContent(const PersistedSettings& persisted) {
    return "{\"version\":" + std::to_string(persisted.version) +
           ",\"settings\":" + settings::toJson(persisted.settings, /*includeSecret=*/true) + "}";
}

// Writes `content` to `tempPath` (created afresh, mode 0600) and fsyncs it. Throws
// std::runtime_error.
void writeTemporary(const std::string& tempPath, const std::string& content) {
    ::unlink(tempPath.c_str());  // left over from a crash
    int fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error(systemError("cannot create", tempPath));
    size_t written = 0;
    while (written < content.size()) {
        ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            std::string error = systemError("cannot write", tempPath);
            ::close(fd);
            ::unlink(tempPath.c_str());
            throw std::runtime_error(error);
        }
        written += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
        std::string error = systemError("cannot fsync", tempPath);
        ::close(fd);
        ::unlink(tempPath.c_str());
        throw std::runtime_error(error);
    }
    ::close(fd);
}

// Renames `tempPath` over `path` and fsyncs the directory. Throws std::runtime_error.
void commitTemporary(const std::string& tempPath, const std::string& path) {
    if (::rename(tempPath.c_str(), path.c_str()) != 0) {
        throw std::runtime_error(systemError("cannot rename " + tempPath + " to", path));
    }
    std::string directory = std::filesystem::path(path).parent_path().string();
    int fd =
        ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(systemError("cannot open", directory));
    int synced = ::fsync(fd);
    std::string error = synced != 0 ? systemError("cannot fsync", directory) : "";
    ::close(fd);
    if (synced != 0) throw std::runtime_error(error);
}

}  // namespace

std::string settingsFilePath(const std::string& spoolDir) { return spoolDir + "/settings.json"; }

std::optional<PersistedSettings> loadSettingsFile(const std::string& path) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
        if (error) throw settings::SettingsError(path + ": cannot look at it: " + error.message());
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    std::string text(kMaxSettingsFileBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    if (!in && !in.eof()) throw settings::SettingsError(path + ": cannot read it");
    if (text.size() > kMaxSettingsFileBytes) {
        throw settings::SettingsError(path + ": larger than " +
                                      std::to_string(kMaxSettingsFileBytes) + " bytes");
    }
    PersistedSettings persisted;
    try {
        Poco::JSON::Parser parser;
        Poco::Dynamic::Var parsed = parser.parse(text);
        if (parsed.type() != typeid(Poco::JSON::Object::Ptr)) {
            throw settings::SettingsError("expected a JSON object");
        }
        auto object = parsed.extract<Poco::JSON::Object::Ptr>();
        Poco::Dynamic::Var version = object->get("version");
        if (!version.isInteger() || version.isBoolean() || version.convert<int64_t>() < 0) {
            throw settings::SettingsError("version: expected an integer >= 0");
        }
        persisted.version = version.convert<int64_t>();
        Poco::Dynamic::Var document = object->get("settings");
        if (document.type() != typeid(Poco::JSON::Object::Ptr)) {
            throw settings::SettingsError("settings: expected an object");
        }
        std::ostringstream documentText;
        document.extract<Poco::JSON::Object::Ptr>()->stringify(documentText);
        persisted.settings = settings::parseNodeSettings(documentText.str());
        persisted.settings.version = persisted.version;
    } catch (const settings::SettingsError& e) {
        throw settings::SettingsError(path + ": " + e.what());
    } catch (const Poco::Exception& e) {
        throw settings::SettingsError(path + ": not valid JSON: " + e.displayText());
    }
    return persisted;
}

SettingsApplier::SettingsApplier(std::string settingsPath, LineManager& lines,
                                 PersistedSettings running)
    : settingsPath_(std::move(settingsPath)), lines_(lines), running_(std::move(running)) {
    running_.settings.version = running_.version;
}

int64_t SettingsApplier::appliedVersion() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_.version;
}

std::string SettingsApplier::secret() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return running_.settings.secret.value_or("");
}

std::string SettingsApplier::documentJson(bool includeSecret) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return settings::toJson(running_.settings, includeSecret);
}

SettingsResult SettingsApplier::apply(int64_t version, const std::string& json) {
    try {
        return apply(version, settings::parseNodeSettings(json));
    } catch (const settings::SettingsError& e) {
        SettingsResult result;
        result.outcome = SettingsOutcome::Invalid;
        result.appliedVersion = appliedVersion();
        result.error = e.what();
        return result;
    }
}

SettingsResult SettingsApplier::apply(int64_t version, settings::NodeSettings document) {
    std::lock_guard<std::mutex> applyLock(applyMutex_);
    PersistedSettings running;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        running = running_;  // only applies change it, and this is the one running now
    }
    SettingsResult result;
    result.appliedVersion = running.version;
    auto refuse = [&](SettingsOutcome outcome, std::string error) {
        result.outcome = outcome;
        result.error = std::move(error);
        logger().warning("settings version %Ld refused: %s", version, result.error);
        return result;
    };

    if (version < 0) {
        return refuse(SettingsOutcome::Invalid,
                      "version: expected an integer >= 0, got " + std::to_string(version));
    }
    if (document.nodeId != running.settings.nodeId) {
        return refuse(SettingsOutcome::Invalid, "node_id: this node is \"" +
                                                    running.settings.nodeId + "\", got \"" +
                                                    document.nodeId + "\"");
    }
    if (!document.secret) document.secret = running.settings.secret;
    document.version = version;
    try {
        settings::validateNodeSettings(document);
    } catch (const settings::SettingsError& e) {
        return refuse(SettingsOutcome::Invalid, e.what());
    }
    if (version < running.version) {
        return refuse(SettingsOutcome::Outdated, "version " + std::to_string(version) +
                                                     " is older than the version in use, " +
                                                     std::to_string(running.version));
    }
    if (version == running.version && document == running.settings) {
        result.outcome = SettingsOutcome::AlreadyApplied;
        return result;
    }

    PersistedSettings next{version, document};
    const std::string tempPath = settingsPath_ + ".tmp";
    try {
        writeTemporary(tempPath, fileContent(next));
    } catch (const std::runtime_error& e) {
        return refuse(SettingsOutcome::Failed, e.what());
    }
    std::string refused = lines_.applySettings(document);
    if (!refused.empty()) {
        ::unlink(tempPath.c_str());
        return refuse(SettingsOutcome::Invalid, refused);
    }
    try {
        commitTemporary(tempPath, settingsPath_);
    } catch (const std::runtime_error& e) {
        ::unlink(tempPath.c_str());
        std::string restored = lines_.applySettings(running.settings);
        if (!restored.empty()) {
            logger().critical("settings version %Ld: cannot put the previous lines back: %s",
                              running.version, restored);
        }
        return refuse(SettingsOutcome::Failed, e.what());
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        running_ = std::move(next);
    }
    logger().information("settings version %Ld applied and saved in %s (%z lines, time zone %s)",
                         version, settingsPath_, document.lines.size(), document.timeZone);
    result.outcome = SettingsOutcome::Applied;
    result.appliedVersion = version;
    return result;
}

}  // namespace faxgate::node
