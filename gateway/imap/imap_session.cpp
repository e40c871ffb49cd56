// The IMAP state machine. See imap_session.h.
#include "gateway/imap/imap_session.h"

#include <algorithm>
#include <ctime>

#include "gateway/store/password_hash.h"

namespace faxgate::gateway {
namespace {

const std::vector<std::string> kFolders = {"INBOX", "Sent Faxes"};
const std::vector<std::string> kSystemFlags = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen",
                                               "\\Draft"};
constexpr size_t kMaxSearchKeys = 1000;
constexpr size_t kMaxSearchDepth = 32;

std::string crlf(const std::string& line) { return line + "\r\n"; }

std::optional<std::string> canonicalFlag(const std::string& flag) {
    for (const std::string& known : kSystemFlags) {
        if (imapEqualsIgnoreCase(flag, known)) return known;
    }
    return std::nullopt;
}

std::set<std::string> parseStoredFlags(const std::string& text) {
    std::set<std::string> flags;
    size_t start = 0;
    while (start < text.size()) {
        size_t space = text.find(' ', start);
        if (space == std::string::npos) space = text.size();
        if (auto flag = canonicalFlag(text.substr(start, space - start))) flags.insert(*flag);
        start = space + 1;
    }
    return flags;
}

std::string joinFlags(const std::set<std::string>& flags) {
    std::string out;
    for (const std::string& flag : flags) {
        if (!out.empty()) out += ' ';
        out += flag;
    }
    return out;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t year, unsigned month, unsigned day) {
    year -= month <= 2;
    const int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto yoe = static_cast<unsigned>(year - era * 400);
    const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "1-Feb-1994" -> days since the epoch.
std::optional<int64_t> parseSearchDate(const std::string& text) {
    const size_t dash1 = text.find('-');
    const size_t dash2 = text.find('-', dash1 == std::string::npos ? 0 : dash1 + 1);
    if (dash1 == std::string::npos || dash2 == std::string::npos || dash1 == 0 || dash1 > 2 ||
        dash2 - dash1 != 4 || text.size() - dash2 != 5)
        return std::nullopt;
    unsigned day = 0;
    for (size_t i = 0; i < dash1; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        day = day * 10 + static_cast<unsigned>(text[i] - '0');
    }
    unsigned month = 0;
    for (unsigned m = 0; m < 12; ++m) {
        if (imapEqualsIgnoreCase(text.substr(dash1 + 1, 3), kMonths[m])) month = m + 1;
    }
    int64_t year = 0;
    for (size_t i = dash2 + 1; i < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        year = year * 10 + (text[i] - '0');
    }
    if (month == 0 || day < 1 || day > 31) return std::nullopt;
    return daysFromCivil(year, month, day);
}

int64_t dayOf(int64_t timeMs) {
    const int64_t seconds = timeMs / 1000;
    return seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
}

std::string internalDate(int64_t timeMs) {
    const std::time_t seconds = static_cast<std::time_t>(timeMs / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "\"%02d-%s-%04d %02d:%02d:%02d +0000\"", utc.tm_mday,
                  kMonths[utc.tm_mon % 12], utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                  utc.tm_sec);
    return buffer;
}

std::optional<std::string> decodeBase64(std::string_view text) {
    std::string out;
    uint32_t accumulator = 0;
    int bits = 0;
    size_t padding = 0;
    for (char c : text) {
        int value;
        if (c >= 'A' && c <= 'Z')
            value = c - 'A';
        else if (c >= 'a' && c <= 'z')
            value = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            value = c - '0' + 52;
        else if (c == '+')
            value = 62;
        else if (c == '/')
            value = 63;
        else if (c == '=') {
            ++padding;
            continue;
        } else {
            return std::nullopt;
        }
        if (padding > 0) return std::nullopt;
        accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((accumulator >> bits) & 0xff));
        }
    }
    if (padding > 2) return std::nullopt;
    return out;
}

bool containsIgnoreCase(std::string_view haystack, std::string_view needle) {
    if (needle.empty()) return true;
    auto lowerChar = [](char c) {
        return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                          [&](char a, char b) { return lowerChar(a) == lowerChar(b); });
    return it != haystack.end();
}

// LIST pattern matching: '*' matches anything, '%' anything but the delimiter '/'.
bool matchesPattern(std::string_view name, std::string_view pattern) {
    if (pattern.empty()) return name.empty();
    if (pattern[0] == '*' || pattern[0] == '%') {
        for (size_t i = 0; i <= name.size(); ++i) {
            if (matchesPattern(name.substr(i), pattern.substr(1))) return true;
            if (i < name.size() && pattern[0] == '%' && name[i] == '/') return false;
        }
        return false;
    }
    if (name.empty() || name[0] != pattern[0]) return false;
    return matchesPattern(name.substr(1), pattern.substr(1));
}

std::string uidSetText(const std::vector<int64_t>& uids) {
    std::string out;
    for (int64_t uid : uids) {
        if (!out.empty()) out += ',';
        out += std::to_string(uid);
    }
    return out;
}

}  // namespace

// ---- ImapRecentRegistry ---------------------------------------------------------------

int64_t ImapRecentRegistry::claim(const std::string& user, const std::string& folder,
                                  int64_t uidNext) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = firstUnclaimed_.try_emplace({user, folder}, 1);
    const int64_t first = it->second;
    it->second = std::max(first, uidNext);
    return first;
}

int64_t ImapRecentRegistry::peek(const std::string& user, const std::string& folder) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = firstUnclaimed_.find({user, folder});
    return it == firstUnclaimed_.end() ? 1 : it->second;
}

// ---- Search keys ----------------------------------------------------------------------

struct ImapSession::SearchKey {
    enum class Op {
        All,
        HasFlag,
        LacksFlag,
        New,
        Old,
        Recent,
        Header,
        Text,
        Body,
        Since,
        Before,
        On,
        Larger,
        Smaller,
        Uid,
        Sequence,
        Not,
        Or,
        And,
        Nothing
    };
    Op op = Op::All;
    std::string name;    // flag or header field
    std::string value;   // string to look for
    int64_t number = 0;  // date (days) or size
    ImapSequenceSet set;
    std::vector<std::unique_ptr<SearchKey>> children;
};

// ---- ImapSession ----------------------------------------------------------------------

ImapSession::ImapSession(const ImapSessionOptions& options, Store& store,
                         ImapRecentRegistry& recent,
                         std::function<bool(const std::string&)> admitUser)
    : options_(options),
      store_(store),
      recent_(recent),
      admitUser_(std::move(admitUser)),
      reader_(ImapReaderLimits{options.maxCommandBytes, options.maxLiteralBytes}) {}

ImapSession::~ImapSession() = default;

std::string ImapSession::capabilities() const {
    std::string caps = "IMAP4rev1 LITERAL+ IDLE UIDPLUS UNSELECT";
    if (options_.tlsAvailable && !tlsActive_ && user_.empty()) caps += " STARTTLS";
    if (user_.empty()) caps += loginAllowed() ? " AUTH=PLAIN" : " LOGINDISABLED";
    return caps;
}

std::string ImapSession::greeting() const {
    return crlf("* OK [CAPABILITY " + capabilities() + "] " + options_.hostname +
                " IMAP4rev1 ready");
}

void ImapSession::tlsStarted() { tlsActive_ = true; }

std::string ImapSession::timeout() {
    closed_ = true;
    summary_.endReason = "idle timeout";
    return crlf("* BYE Autologout; idle for too long");
}

void ImapSession::connectionLost(const std::string& reason) {
    closed_ = true;
    if (summary_.endReason.empty()) summary_.endReason = reason;
}

void ImapSession::bad(const std::string& tag, const std::string& reason, std::string& out) {
    ++consecutiveErrors_;
    out += crlf((tag.empty() ? "*" : tag) + " BAD " + reason);
    if (consecutiveErrors_ >= options_.maxConsecutiveErrors) {
        out += crlf("* BYE Too many errors");
        closed_ = true;
        summary_.endReason = "too many errors";
    }
}

ImapAction ImapSession::consume(std::string_view bytes, std::string& output) {
    if (closed_) return ImapAction::Close;
    reader_.append(bytes);
    std::string command;
    while (!closed_) {
        const ImapCommandReader::Status status = reader_.next(command);
        if (status == ImapCommandReader::Status::NeedMore) break;
        if (status == ImapCommandReader::Status::Continuation) {
            output += crlf("+ Ready for literal data");
            continue;
        }
        if (status == ImapCommandReader::Status::LineTooLong) {
            bad("", "Command line too long", output);
            continue;
        }
        if (status == ImapCommandReader::Status::LiteralTooLarge) {
            const std::string tag = parseImapCommand(command).tag;
            if (reader_.literalWasSynchronising()) {
                bad(tag, "Literal too large", output);
                continue;
            }
            output += crlf("* BYE Literal too large");
            closed_ = true;
            summary_.endReason = "literal too large";
            break;
        }
        ImapAction action = ImapAction::None;
        try {
            action = handleCommand(command, output);
        } catch (const std::exception& error) {
            // Store failures and the like: the client may retry; the reason stays in the log.
            summary_.endReason.clear();
            output += crlf("* NO [UNAVAILABLE] Temporary server failure, try again later");
            action = ImapAction::None;
        }
        if (action == ImapAction::StartTls) {
            reader_.clear();  // RFC 3501 6.2.1: nothing pipelined survives STARTTLS
            return action;
        }
    }
    return closed_ ? ImapAction::Close : ImapAction::None;
}

ImapAction ImapSession::handleCommand(const std::string& text, std::string& out) {
    if (idling_) {
        idling_ = false;
        if (imapEqualsIgnoreCase(text, "DONE")) {
            consecutiveErrors_ = 0;
            out += crlf(idleTag_ + " OK IDLE terminated");
        } else {
            bad(idleTag_, "Expected DONE", out);
        }
        return ImapAction::None;
    }
    if (authenticateTag_) return finishAuthenticate(text, out);
    const ImapParseResult parsed = parseImapCommand(text);
    if (!parsed.command) {
        bad(parsed.tag, parsed.error.empty() ? "Syntax error" : parsed.error, out);
        return ImapAction::None;
    }
    ++summary_.commands;
    const size_t before = out.size();
    const ImapAction action = dispatch(*parsed.command, out);
    if (out.size() > before && out.find(" BAD ", before) == std::string::npos)
        consecutiveErrors_ = 0;
    return action;
}

std::optional<std::string> ImapSession::canonicalFolder(const std::string& name) const {
    if (imapEqualsIgnoreCase(name, "INBOX")) return std::string("INBOX");
    for (const std::string& folder : kFolders) {
        if (folder == name) return folder;
    }
    return std::nullopt;
}

ImapAction ImapSession::dispatch(const ImapCommand& command, std::string& out) {
    const std::string& tag = command.tag;
    const std::string& name = command.name;
    const auto& args = command.args;
    auto noArgs = [&]() {
        if (args.empty()) return true;
        bad(tag, name + " takes no arguments", out);
        return false;
    };

    // Any state.
    if (name == "CAPABILITY") {
        if (!noArgs()) return ImapAction::None;
        out += crlf("* CAPABILITY " + capabilities());
        out += crlf(tag + " OK CAPABILITY completed");
        return ImapAction::None;
    }
    if (name == "NOOP" || name == "CHECK") {
        if (!noArgs()) return ImapAction::None;
        if (name == "CHECK" && !folder_) {
            out += crlf(tag + " BAD No folder selected");
            return ImapAction::None;
        }
        if (folder_) refresh(true, out);
        out += crlf(tag + " OK " + name + " completed");
        return ImapAction::None;
    }
    if (name == "LOGOUT") {
        if (!noArgs()) return ImapAction::None;
        out += crlf("* BYE " + options_.hostname + " logging out");
        out += crlf(tag + " OK LOGOUT completed");
        closed_ = true;
        summary_.endReason = "logout";
        return ImapAction::Close;
    }

    // Not authenticated.
    if (user_.empty()) {
        if (name == "STARTTLS") {
            if (!noArgs()) return ImapAction::None;
            if (!options_.tlsAvailable || tlsActive_) {
                out += crlf(tag + " NO STARTTLS not available");
                return ImapAction::None;
            }
            out += crlf(tag + " OK Begin TLS negotiation now");
            return ImapAction::StartTls;
        }
        if (name == "LOGIN") {
            if (args.size() != 2 || !args[0].isAString() || !args[1].isAString()) {
                bad(tag, "LOGIN needs a user name and a password", out);
                return ImapAction::None;
            }
            return login(tag, args[0].text, args[1].text, out);
        }
        if (name == "AUTHENTICATE") {
            if (args.empty() || args.size() > 2 || !args[0].isAtom()) {
                bad(tag, "AUTHENTICATE needs a mechanism", out);
                return ImapAction::None;
            }
            if (!imapEqualsIgnoreCase(args[0].text, "PLAIN")) {
                out += crlf(tag + " NO Unsupported authentication mechanism");
                return ImapAction::None;
            }
            if (!loginAllowed()) {
                out += crlf(tag + " NO [PRIVACYREQUIRED] Use STARTTLS first");
                return ImapAction::None;
            }
            authenticateTag_ = tag;
            if (args.size() == 2) return finishAuthenticate(args[1].text, out);
            out += crlf("+ ");
            return ImapAction::None;
        }
        static const std::set<std::string> kNeedAuth = {
            "SELECT",  "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE",
            "LIST",    "LSUB",    "STATUS", "APPEND", "IDLE",   "CLOSE",     "UNSELECT",
            "EXPUNGE", "SEARCH",  "FETCH",  "STORE",  "COPY",   "UID"};
        if (kNeedAuth.count(name)) {
            bad(tag, name + " needs authentication first", out);
        } else {
            bad(tag, "Unknown command", out);
        }
        return ImapAction::None;
    }

    // Authenticated.
    if (name == "STARTTLS" || name == "LOGIN" || name == "AUTHENTICATE") {
        bad(tag, "Already authenticated", out);
        return ImapAction::None;
    }
    if (name == "SELECT" || name == "EXAMINE") {
        select(command, name == "EXAMINE", out);
        return ImapAction::None;
    }
    if (name == "LIST" || name == "LSUB") {
        list(command, name == "LSUB", out);
        return ImapAction::None;
    }
    if (name == "STATUS") {
        status(command, out);
        return ImapAction::None;
    }
    if (name == "CREATE" || name == "DELETE" || name == "RENAME") {
        out += crlf(tag + " NO [CANNOT] The folders of the fax gateway are fixed");
        return ImapAction::None;
    }
    if (name == "SUBSCRIBE" || name == "UNSUBSCRIBE") {
        if (args.size() != 1 || !args[0].isAString()) {
            bad(tag, name + " needs a folder name", out);
            return ImapAction::None;
        }
        // Every folder is always subscribed; agreeing keeps clients that insist quiet.
        if (!canonicalFolder(args[0].text) || name == "UNSUBSCRIBE") {
            out += crlf(tag + " NO [CANNOT] The folders of the fax gateway are fixed");
        } else {
            out += crlf(tag + " OK SUBSCRIBE completed");
        }
        return ImapAction::None;
    }
    if (name == "APPEND") {
        out += crlf(tag + " NO [CANNOT] Messages cannot be added to the fax gateway's folders");
        return ImapAction::None;
    }
    if (name == "IDLE") {
        if (!noArgs()) return ImapAction::None;
        idling_ = true;
        idleTag_ = tag;
        out += crlf("+ idling");
        return ImapAction::None;
    }

    // Selected.
    static const std::set<std::string> kSelected = {"CLOSE", "UNSELECT", "EXPUNGE", "SEARCH",
                                                    "FETCH", "STORE",    "COPY",    "UID"};
    if (!kSelected.count(name)) {
        bad(tag, "Unknown command", out);
        return ImapAction::None;
    }
    if (!folder_) {
        bad(tag, "No folder selected", out);
        return ImapAction::None;
    }
    if (name == "CLOSE" || name == "UNSELECT") {
        if (!noArgs()) return ImapAction::None;
        if (name == "CLOSE" && !readOnly_) {
            const auto removed = store_.expungeMailbox(user_, *folder_, std::nullopt);
            summary_.messagesExpunged += static_cast<int>(removed.size());
        }
        deselect();
        out += crlf(tag + " OK " + name + " completed");
        return ImapAction::None;
    }
    if (name == "EXPUNGE") {
        if (!noArgs()) return ImapAction::None;
        expunge(tag, std::nullopt, out);
        return ImapAction::None;
    }
    bool byUid = false;
    std::string sub = name;
    std::vector<ImapValue> rest = args;
    if (name == "UID") {
        if (args.empty() || !args[0].isAtom()) {
            bad(tag, "UID needs a command", out);
            return ImapAction::None;
        }
        byUid = true;
        sub = imapUpper(args[0].text);
        rest.erase(rest.begin());
        if (sub == "EXPUNGE") {
            if (rest.size() != 1 || !rest[0].isAtom()) {
                bad(tag, "UID EXPUNGE needs a UID set", out);
                return ImapAction::None;
            }
            const auto set = parseImapSequenceSet(rest[0].text);
            if (!set) {
                bad(tag, "Invalid UID set", out);
                return ImapAction::None;
            }
            expunge(tag, set, out);
            return ImapAction::None;
        }
    }
    if (sub == "FETCH")
        fetch(tag, rest, byUid, out);
    else if (sub == "STORE")
        store(tag, rest, byUid, out);
    else if (sub == "COPY")
        copy(tag, rest, byUid, out);
    else if (sub == "SEARCH")
        search(tag, rest, byUid, out);
    else
        bad(tag, "Unknown UID command", out);
    return ImapAction::None;
}

// ---- Authentication -------------------------------------------------------------------

ImapAction ImapSession::login(const std::string& tag, const std::string& user,
                              const std::string& password, std::string& out) {
    if (!loginAllowed()) {
        out += crlf(tag + " NO [PRIVACYREQUIRED] Use STARTTLS first");
        return ImapAction::None;
    }
    bool valid = false;
    if (!user.empty() && user.size() <= 255 && password.size() <= kMaxPasswordBytes) {
        const std::optional<User> found = store_.findUser(user);
        if (found) {
            valid = verifyPassword(password, found->passwordHash);
        } else {
            // Spend the same time as for a real user, so timing does not reveal user names.
            static const std::string dummy = hashPassword("faxgate-no-such-user");
            verifyPassword(password, dummy);
        }
    }
    if (!valid) {
        ++summary_.authFailures;
        out += crlf(tag + " NO [AUTHENTICATIONFAILED] Invalid credentials");
        if (summary_.authFailures >= options_.maxAuthFailures) {
            out += crlf("* BYE Too many failed logins");
            closed_ = true;
            summary_.endReason = "too many failed logins";
            return ImapAction::Close;
        }
        return ImapAction::None;
    }
    if (admitUser_ && !admitUser_(user)) {
        out += crlf(tag + " NO [UNAVAILABLE] Too many sessions for this user");
        return ImapAction::None;
    }
    user_ = user;
    summary_.user = user;
    out += crlf(tag + " OK [CAPABILITY " + capabilities() + "] Logged in");
    return ImapAction::None;
}

ImapAction ImapSession::finishAuthenticate(const std::string& line, std::string& out) {
    const std::string tag = *authenticateTag_;
    authenticateTag_.reset();
    if (line == "*") {
        bad(tag, "Authentication cancelled", out);
        return ImapAction::None;
    }
    const auto decoded = line == "=" ? std::optional<std::string>("") : decodeBase64(line);
    if (!decoded) {
        bad(tag, "Invalid base64 in authentication response", out);
        return ImapAction::None;
    }
    const size_t first = decoded->find('\0');
    const size_t second =
        first == std::string::npos ? std::string::npos : decoded->find('\0', first + 1);
    if (second == std::string::npos) {
        bad(tag, "Invalid PLAIN response", out);
        return ImapAction::None;
    }
    const std::string authorize = decoded->substr(0, first);
    const std::string user = decoded->substr(first + 1, second - first - 1);
    const std::string password = decoded->substr(second + 1);
    if (!authorize.empty() && authorize != user) {
        ++summary_.authFailures;
        out += crlf(tag + " NO [AUTHORIZATIONFAILED] Cannot act as another user");
        return ImapAction::None;
    }
    return login(tag, user, password, out);
}

// ---- Folders --------------------------------------------------------------------------

void ImapSession::list(const ImapCommand& command, bool lsub, std::string& out) {
    const auto& args = command.args;
    if (args.size() != 2 || !args[0].isAString() || !args[1].isAString()) {
        bad(command.tag, command.name + " needs a reference and a pattern", out);
        return;
    }
    const std::string& pattern = args[1].text;
    const char* label = lsub ? "LSUB" : "LIST";
    if (pattern.empty() && !lsub) {
        out += crlf(std::string("* ") + label + " (\\Noselect) \"/\" \"\"");
    } else {
        const std::string full = args[0].text + pattern;
        for (const std::string& folder : kFolders) {
            const bool matches =
                folder == "INBOX"
                    ? matchesPattern("INBOX", imapUpper(full.substr(0, 5)) +
                                                  full.substr(std::min<size_t>(5, full.size())))
                    : matchesPattern(folder, full);
            if (matches)
                out += crlf(std::string("* ") + label + " (\\HasNoChildren) \"/\" " +
                            imapString(folder));
        }
    }
    out += crlf(command.tag + " OK " + label + " completed");
}

void ImapSession::select(const ImapCommand& command, bool readOnly, std::string& out) {
    const auto& args = command.args;
    if (args.size() != 1 || !args[0].isAString()) {
        bad(command.tag, command.name + " needs a folder name", out);
        return;
    }
    deselect();
    const auto folder = canonicalFolder(args[0].text);
    if (!folder) {
        out += crlf(command.tag + " NO [NONEXISTENT] No such folder");
        return;
    }
    uidValidity_ = store_.mailboxUidValidity(user_, *folder);
    const int64_t uidNext = store_.mailboxUidNext(user_, *folder);
    const std::vector<MailboxMessage> headers = store_.listMailboxHeaders(user_, *folder);
    const int64_t firstRecent =
        readOnly ? recent_.peek(user_, *folder) : recent_.claim(user_, *folder, uidNext);
    folder_ = folder;
    readOnly_ = readOnly;
    size_t recentCount = 0;
    std::optional<size_t> firstUnseen;
    for (const MailboxMessage& header : headers) {
        Entry entry;
        entry.uid = header.uid;
        entry.flags = parseStoredFlags(header.flags);
        entry.size = header.size;
        entry.internalDateMs = header.internalDateMs;
        entry.recent = header.uid >= firstRecent;
        if (entry.recent) ++recentCount;
        if (!firstUnseen && !entry.flags.count("\\Seen")) firstUnseen = messages_.size() + 1;
        messages_.push_back(std::move(entry));
    }
    out += crlf("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
    out += crlf(std::string("* OK [PERMANENTFLAGS (") +
                (readOnly ? "" : "\\Answered \\Flagged \\Deleted \\Seen \\Draft") +
                ")] Flags permitted");
    out += crlf("* " + std::to_string(messages_.size()) + " EXISTS");
    out += crlf("* " + std::to_string(recentCount) + " RECENT");
    if (firstUnseen) out += crlf("* OK [UNSEEN " + std::to_string(*firstUnseen) + "] First unseen");
    out += crlf("* OK [UIDVALIDITY " + std::to_string(uidValidity_) + "] UIDs valid");
    out += crlf("* OK [UIDNEXT " + std::to_string(uidNext) + "] Predicted next UID");
    out += crlf(command.tag + (readOnly ? " OK [READ-ONLY] " : " OK [READ-WRITE] ") + command.name +
                " completed");
}

void ImapSession::status(const ImapCommand& command, std::string& out) {
    const auto& args = command.args;
    if (args.size() != 2 || !args[0].isAString() || !args[1].isList() || args[1].items.empty()) {
        bad(command.tag, "STATUS needs a folder name and a list of items", out);
        return;
    }
    const auto folder = canonicalFolder(args[0].text);
    if (!folder) {
        out += crlf(command.tag + " NO [NONEXISTENT] No such folder");
        return;
    }
    const std::vector<MailboxMessage> headers = store_.listMailboxHeaders(user_, *folder);
    std::string items;
    for (const ImapValue& item : args[1].items) {
        const std::string name = item.isAtom() ? imapUpper(item.text) : "";
        std::string value;
        if (name == "MESSAGES") {
            value = std::to_string(headers.size());
        } else if (name == "RECENT") {
            const int64_t first = recent_.peek(user_, *folder);
            value = std::to_string(std::count_if(headers.begin(), headers.end(),
                                                 [&](const auto& h) { return h.uid >= first; }));
        } else if (name == "UIDNEXT") {
            value = std::to_string(store_.mailboxUidNext(user_, *folder));
        } else if (name == "UIDVALIDITY") {
            value = std::to_string(store_.mailboxUidValidity(user_, *folder));
        } else if (name == "UNSEEN") {
            value = std::to_string(std::count_if(headers.begin(), headers.end(), [](const auto& h) {
                return !parseStoredFlags(h.flags).count("\\Seen");
            }));
        } else {
            bad(command.tag, "Unknown STATUS item", out);
            return;
        }
        if (!items.empty()) items += ' ';
        items += name + " " + value;
    }
    out += crlf("* STATUS " + imapString(*folder) + " (" + items + ")");
    out += crlf(command.tag + " OK STATUS completed");
}

void ImapSession::deselect() {
    folder_.reset();
    messages_.clear();
    cache_.clear();
    readOnly_ = false;
}

void ImapSession::refresh(bool allowExpunge, std::string& out) {
    if (!folder_) return;
    const std::vector<MailboxMessage> headers = store_.listMailboxHeaders(user_, *folder_);
    std::map<int64_t, const MailboxMessage*> byUid;
    for (const MailboxMessage& header : headers) byUid[header.uid] = &header;
    for (size_t i = 0; i < messages_.size();) {
        auto found = byUid.find(messages_[i].uid);
        if (found == byUid.end()) {
            if (allowExpunge) {
                out += crlf("* " + std::to_string(i + 1) + " EXPUNGE");
                messages_.erase(messages_.begin() + static_cast<std::ptrdiff_t>(i));
                continue;
            }
        } else {
            std::set<std::string> flags = parseStoredFlags(found->second->flags);
            if (flags != messages_[i].flags) {
                messages_[i].flags = std::move(flags);
                out += crlf("* " + std::to_string(i + 1) + " FETCH (FLAGS " +
                            flagList(messages_[i]) + ")");
            }
        }
        ++i;
    }
    const int64_t highest = messages_.empty() ? 0 : messages_.back().uid;
    std::vector<const MailboxMessage*> added;
    for (const MailboxMessage& header : headers) {
        if (header.uid > highest) added.push_back(&header);
    }
    if (added.empty()) return;
    const int64_t firstRecent = readOnly_ ? recent_.peek(user_, *folder_)
                                          : recent_.claim(user_, *folder_, added.back()->uid + 1);
    for (const MailboxMessage* header : added) {
        Entry entry;
        entry.uid = header->uid;
        entry.flags = parseStoredFlags(header->flags);
        entry.size = header->size;
        entry.internalDateMs = header->internalDateMs;
        entry.recent = header->uid >= firstRecent;
        messages_.push_back(std::move(entry));
    }
    out += crlf("* " + std::to_string(messages_.size()) + " EXISTS");
    const auto recentCount =
        std::count_if(messages_.begin(), messages_.end(), [](const Entry& e) { return e.recent; });
    out += crlf("* " + std::to_string(recentCount) + " RECENT");
}

void ImapSession::mailboxChanged(std::string& output) {
    if (closed_ || !folder_) return;
    try {
        refresh(idling_, output);
    } catch (const std::exception&) {
        // The store is busy or down; the next poll tries again.
    }
}

// ---- Messages -------------------------------------------------------------------------

std::optional<std::vector<size_t>> ImapSession::resolve(const ImapSequenceSet& set, bool byUid,
                                                        std::string& error) const {
    std::vector<size_t> indexes;
    if (byUid) {
        const int64_t largest = messages_.empty() ? 0 : messages_.back().uid;
        for (size_t i = 0; i < messages_.size(); ++i) {
            if (set.contains(messages_[i].uid, largest)) indexes.push_back(i);
        }
        return indexes;
    }
    const auto count = static_cast<int64_t>(messages_.size());
    for (const auto& [first, last] : set.ranges) {
        if (first > count || last > count || (count == 0)) {
            error = "Invalid message sequence number";
            return std::nullopt;
        }
    }
    for (size_t i = 0; i < messages_.size(); ++i) {
        if (set.contains(static_cast<int64_t>(i + 1), count)) indexes.push_back(i);
    }
    return indexes;
}

std::shared_ptr<const ImapMessage> ImapSession::message(const Entry& entry) {
    for (const auto& [uid, cached] : cache_) {
        if (uid == entry.uid) return cached;
    }
    const std::optional<MailboxMessage> loaded =
        store_.loadMailboxMessage(user_, *folder_, entry.uid);
    if (!loaded) return nullptr;
    auto parsed = std::make_shared<const ImapMessage>(loaded->data);
    cache_.emplace_back(entry.uid, parsed);
    while (cache_.size() > options_.maxCachedMessages) cache_.pop_front();
    return parsed;
}

bool ImapSession::saveFlags(Entry& entry) {
    return store_.setMailboxFlags(user_, *folder_, entry.uid, joinFlags(entry.flags));
}

std::string ImapSession::flagList(const Entry& entry) const {
    std::string flags = joinFlags(entry.flags);
    if (entry.recent) flags += flags.empty() ? "\\Recent" : " \\Recent";
    return "(" + flags + ")";
}

void ImapSession::fetch(const std::string& tag, const std::vector<ImapValue>& args, bool byUid,
                        std::string& out) {
    if (args.size() != 2 || !args[0].isAtom()) {
        bad(tag, "FETCH needs a sequence set and attributes", out);
        return;
    }
    const auto set = parseImapSequenceSet(args[0].text);
    if (!set) {
        bad(tag, "Invalid sequence set", out);
        return;
    }
    std::string error;
    auto items = parseImapFetchItems(args[1], error);
    if (!items) {
        bad(tag, error, out);
        return;
    }
    using Kind = ImapFetchItem::Kind;
    if (byUid && std::none_of(items->begin(), items->end(),
                              [](const ImapFetchItem& i) { return i.kind == Kind::Uid; })) {
        ImapFetchItem uid;
        uid.kind = Kind::Uid;
        items->insert(items->begin(), uid);
    }
    const auto indexes = resolve(*set, byUid, error);
    if (!indexes) {
        bad(tag, error, out);
        return;
    }
    const bool needsBody = std::any_of(items->begin(), items->end(), [](const ImapFetchItem& i) {
        return i.kind != Kind::Flags && i.kind != Kind::Uid && i.kind != Kind::InternalDate &&
               i.kind != Kind::Rfc822Size;
    });
    bool missing = false;
    for (size_t index : *indexes) {
        Entry& entry = messages_[index];
        std::shared_ptr<const ImapMessage> body;
        if (needsBody) {
            body = message(entry);
            if (!body) {
                missing = true;
                continue;
            }
            ++summary_.messagesFetched;
        }
        bool seenNow = false;
        bool flagsListed = false;
        std::string response;
        auto add = [&](const std::string& item) {
            if (!response.empty()) response += ' ';
            response += item;
        };
        auto literal = [](std::string_view bytes) {
            return "{" + std::to_string(bytes.size()) + "}\r\n" + std::string(bytes);
        };
        auto markSeen = [&]() {
            if (!readOnly_ && !entry.flags.count("\\Seen")) {
                entry.flags.insert("\\Seen");
                seenNow = true;
            }
        };
        for (const ImapFetchItem& item : *items) {
            switch (item.kind) {
                case Kind::Flags:
                    flagsListed = true;
                    // Filled in below, once \Seen is known.
                    add("\x01");
                    break;
                case Kind::Uid:
                    add("UID " + std::to_string(entry.uid));
                    break;
                case Kind::InternalDate:
                    add("INTERNALDATE " + internalDate(entry.internalDateMs));
                    break;
                case Kind::Rfc822Size:
                    add("RFC822.SIZE " + std::to_string(entry.size));
                    break;
                case Kind::Envelope:
                    add("ENVELOPE " + body->envelope());
                    break;
                case Kind::BodyStructure:
                    add("BODYSTRUCTURE " + body->bodyStructure(true));
                    break;
                case Kind::Body:
                    add("BODY " + body->bodyStructure(false));
                    break;
                case Kind::Rfc822:
                    markSeen();
                    add("RFC822 " + literal(body->data()));
                    break;
                case Kind::Rfc822Header:
                    add("RFC822.HEADER " + literal(body->header()));
                    break;
                case Kind::Rfc822Text:
                    markSeen();
                    add("RFC822.TEXT " + literal(body->text()));
                    break;
                case Kind::BodySection: {
                    if (!item.peek) markSeen();
                    std::string bytes = body->section(item.section);
                    std::string label = "BODY[" + item.section.label() + "]";
                    if (item.partial) {
                        const size_t start = item.partial->first;
                        bytes = start >= bytes.size() ? std::string()
                                                      : bytes.substr(start, item.partial->second);
                        label += "<" + std::to_string(start) + ">";
                    }
                    add(label + " " + literal(bytes));
                    break;
                }
            }
        }
        if (seenNow) {
            saveFlags(entry);
            if (!flagsListed) add("\x01");
        }
        const size_t marker = response.find('\x01');
        if (marker != std::string::npos) response.replace(marker, 1, "FLAGS " + flagList(entry));
        out += "* " + std::to_string(index + 1) + " FETCH (" + response + ")\r\n";
    }
    if (missing) {
        out += crlf(tag + " NO Some messages were removed by another session");
        return;
    }
    out += crlf(tag + " OK FETCH completed");
}

void ImapSession::store(const std::string& tag, const std::vector<ImapValue>& args, bool byUid,
                        std::string& out) {
    if (args.size() < 3 || !args[0].isAtom() || !args[1].isAtom()) {
        bad(tag, "STORE needs a sequence set, an item and flags", out);
        return;
    }
    const auto set = parseImapSequenceSet(args[0].text);
    if (!set) {
        bad(tag, "Invalid sequence set", out);
        return;
    }
    std::string item = imapUpper(args[1].text);
    bool silent = false;
    if (item.size() > 7 && item.substr(item.size() - 7) == ".SILENT") {
        silent = true;
        item.resize(item.size() - 7);
    }
    if (item != "FLAGS" && item != "+FLAGS" && item != "-FLAGS") {
        bad(tag, "STORE item must be FLAGS, +FLAGS or -FLAGS", out);
        return;
    }
    std::vector<ImapValue> flagValues;
    if (args.size() == 3 && args[2].isList()) {
        flagValues = args[2].items;
    } else {
        flagValues.assign(args.begin() + 2, args.end());
    }
    std::set<std::string> flags;
    for (const ImapValue& value : flagValues) {
        if (!value.isAtom()) {
            bad(tag, "Invalid flag", out);
            return;
        }
        const auto flag = canonicalFlag(value.text);
        if (!flag) {
            if (imapEqualsIgnoreCase(value.text, "\\Recent")) {
                bad(tag, "\\Recent cannot be stored", out);
            } else {
                out += crlf(tag + " NO [CANNOT] Only system flags can be stored here");
            }
            return;
        }
        flags.insert(*flag);
    }
    if (readOnly_) {
        out += crlf(tag + " NO [READ-ONLY] Folder is read-only");
        return;
    }
    std::string error;
    const auto indexes = resolve(*set, byUid, error);
    if (!indexes) {
        bad(tag, error, out);
        return;
    }
    for (size_t index : *indexes) {
        Entry& entry = messages_[index];
        std::set<std::string> updated = entry.flags;
        if (item == "FLAGS") {
            updated = flags;
        } else if (item == "+FLAGS") {
            updated.insert(flags.begin(), flags.end());
        } else {
            for (const std::string& flag : flags) updated.erase(flag);
        }
        if (updated != entry.flags) {
            entry.flags = std::move(updated);
            saveFlags(entry);
        }
        if (!silent) {
            out += crlf("* " + std::to_string(index + 1) + " FETCH (" +
                        (byUid ? "UID " + std::to_string(entry.uid) + " " : std::string()) +
                        "FLAGS " + flagList(entry) + ")");
        }
    }
    out += crlf(tag + " OK STORE completed");
}

void ImapSession::copy(const std::string& tag, const std::vector<ImapValue>& args, bool byUid,
                       std::string& out) {
    if (args.size() != 2 || !args[0].isAtom() || !args[1].isAString()) {
        bad(tag, "COPY needs a sequence set and a folder", out);
        return;
    }
    const auto set = parseImapSequenceSet(args[0].text);
    if (!set) {
        bad(tag, "Invalid sequence set", out);
        return;
    }
    const auto target = canonicalFolder(args[1].text);
    if (!target) {
        out += crlf(tag + " NO [TRYCREATE] No such folder");
        return;
    }
    std::string error;
    const auto indexes = resolve(*set, byUid, error);
    if (!indexes) {
        bad(tag, error, out);
        return;
    }
    std::vector<int64_t> sources;
    std::vector<int64_t> copies;
    for (size_t index : *indexes) {
        const auto copied = store_.copyToMailbox(user_, *folder_, messages_[index].uid, *target);
        if (!copied) continue;
        sources.push_back(messages_[index].uid);
        copies.push_back(*copied);
    }
    if (copies.empty()) {
        out += crlf(tag + " OK COPY completed");
        return;
    }
    const uint32_t validity = store_.mailboxUidValidity(user_, *target);
    out += crlf(tag + " OK [COPYUID " + std::to_string(validity) + " " + uidSetText(sources) + " " +
                uidSetText(copies) + "] COPY completed");
}

void ImapSession::expunge(const std::string& tag, const std::optional<ImapSequenceSet>& uids,
                          std::string& out) {
    if (readOnly_) {
        out += crlf(tag + " NO [READ-ONLY] Folder is read-only");
        return;
    }
    std::optional<std::vector<int64_t>> only;
    if (uids) {
        only.emplace();
        const int64_t largest = messages_.empty() ? 0 : messages_.back().uid;
        for (const Entry& entry : messages_) {
            if (uids->contains(entry.uid, largest)) only->push_back(entry.uid);
        }
    }
    const std::vector<int64_t> removed = store_.expungeMailbox(user_, *folder_, only);
    summary_.messagesExpunged += static_cast<int>(removed.size());
    const std::set<int64_t> gone(removed.begin(), removed.end());
    for (size_t i = 0; i < messages_.size();) {
        if (gone.count(messages_[i].uid)) {
            out += crlf("* " + std::to_string(i + 1) + " EXPUNGE");
            messages_.erase(messages_.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
            ++i;
        }
    }
    refresh(true, out);
    out += crlf(tag + " OK EXPUNGE completed");
}

// ---- SEARCH ---------------------------------------------------------------------------

void ImapSession::search(const std::string& tag, const std::vector<ImapValue>& args, bool byUid,
                         std::string& out) {
    using Op = SearchKey::Op;
    size_t position = 0;
    if (args.size() >= 2 && args[0].isAtom() && imapEqualsIgnoreCase(args[0].text, "CHARSET")) {
        if (!args[1].isAString() || (!imapEqualsIgnoreCase(args[1].text, "UTF-8") &&
                                     !imapEqualsIgnoreCase(args[1].text, "US-ASCII"))) {
            out += crlf(tag + " NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
            return;
        }
        position = 2;
    }
    size_t keyCount = 0;
    std::string error;
    // Parses one key from `values` at `at`; nullptr and `error` on failure.
    std::function<std::unique_ptr<SearchKey>(const std::vector<ImapValue>&, size_t&, size_t)>
        parseKey = [&](const std::vector<ImapValue>& values, size_t& at,
                       size_t depth) -> std::unique_ptr<SearchKey> {
        if (++keyCount > kMaxSearchKeys || depth > kMaxSearchDepth) {
            error = "Search program too complex";
            return nullptr;
        }
        if (at >= values.size()) {
            error = "Missing search key";
            return nullptr;
        }
        const ImapValue& value = values[at++];
        auto key = std::make_unique<SearchKey>();
        if (value.isList()) {
            key->op = Op::And;
            size_t inner = 0;
            if (value.items.empty()) {
                error = "Empty search list";
                return nullptr;
            }
            while (inner < value.items.size()) {
                auto child = parseKey(value.items, inner, depth + 1);
                if (!child) return nullptr;
                key->children.push_back(std::move(child));
            }
            return key;
        }
        if (!value.isAtom()) {
            error = "Invalid search key";
            return nullptr;
        }
        const std::string name = imapUpper(value.text);
        auto argument = [&]() -> const ImapValue* {
            if (at >= values.size() || !values[at].isAString()) {
                error = name + " needs an argument";
                return nullptr;
            }
            return &values[at++];
        };
        // The keys that take no argument: a flag present or absent, or a fixed test.
        struct SimpleKey {
            const char* name;
            Op op;
            const char* flag;  // for HasFlag/LacksFlag, else nullptr
        };
        static constexpr SimpleKey kSimpleKeys[] = {
            {"ALL", Op::All, nullptr},
            {"SEEN", Op::HasFlag, "\\Seen"},
            {"UNSEEN", Op::LacksFlag, "\\Seen"},
            {"DELETED", Op::HasFlag, "\\Deleted"},
            {"UNDELETED", Op::LacksFlag, "\\Deleted"},
            {"FLAGGED", Op::HasFlag, "\\Flagged"},
            {"UNFLAGGED", Op::LacksFlag, "\\Flagged"},
            {"ANSWERED", Op::HasFlag, "\\Answered"},
            {"UNANSWERED", Op::LacksFlag, "\\Answered"},
            {"DRAFT", Op::HasFlag, "\\Draft"},
            {"UNDRAFT", Op::LacksFlag, "\\Draft"},
            {"NEW", Op::New, nullptr},
            {"OLD", Op::Old, nullptr},
            {"RECENT", Op::Recent, nullptr},
        };
        const auto simple = std::find_if(std::begin(kSimpleKeys), std::end(kSimpleKeys),
                                         [&](const SimpleKey& k) { return name == k.name; });
        if (simple != std::end(kSimpleKeys)) {
            key->op = simple->op;
            if (simple->flag != nullptr) key->name = simple->flag;
        } else if (name == "KEYWORD" || name == "UNKEYWORD") {
            if (!argument()) return nullptr;
            key->op = name == "KEYWORD" ? Op::Nothing : Op::All;  // no keywords are stored
        } else if (name == "FROM" || name == "TO" || name == "CC" || name == "BCC" ||
                   name == "SUBJECT") {
            const ImapValue* text = argument();
            if (!text) return nullptr;
            key->op = Op::Header;
            key->name = name;
            key->value = text->text;
        } else if (name == "HEADER") {
            const ImapValue* field = argument();
            if (!field) return nullptr;
            const ImapValue* text = argument();
            if (!text) return nullptr;
            key->op = Op::Header;
            key->name = field->text;
            key->value = text->text;
        } else if (name == "TEXT" || name == "BODY") {
            const ImapValue* text = argument();
            if (!text) return nullptr;
            key->op = name == "TEXT" ? Op::Text : Op::Body;
            key->value = text->text;
        } else if (name == "SINCE" || name == "BEFORE" || name == "ON" || name == "SENTSINCE" ||
                   name == "SENTBEFORE" || name == "SENTON") {
            const ImapValue* date = argument();
            if (!date) return nullptr;
            const auto days = parseSearchDate(date->text);
            if (!days) {
                error = "Invalid date '" + date->text.substr(0, 20) + "'";
                return nullptr;
            }
            // SENT* compare the internal date too: the gateway stores mail it wrote itself.
            const std::string base = name.rfind("SENT", 0) == 0 ? name.substr(4) : name;
            key->op = base == "SINCE" ? Op::Since : base == "BEFORE" ? Op::Before : Op::On;
            key->number = *days;
        } else if (name == "LARGER" || name == "SMALLER") {
            const ImapValue* size = argument();
            if (!size) return nullptr;
            int64_t number = 0;
            if (size->text.empty() || size->text.size() > 10) {
                error = "Invalid size";
                return nullptr;
            }
            for (char c : size->text) {
                if (c < '0' || c > '9') {
                    error = "Invalid size";
                    return nullptr;
                }
                number = number * 10 + (c - '0');
            }
            key->op = name == "LARGER" ? Op::Larger : Op::Smaller;
            key->number = number;
        } else if (name == "UID") {
            const ImapValue* setText = argument();
            if (!setText) return nullptr;
            const auto set = parseImapSequenceSet(setText->text);
            if (!set) {
                error = "Invalid UID set";
                return nullptr;
            }
            key->op = Op::Uid;
            key->set = *set;
        } else if (name == "NOT") {
            key->op = Op::Not;
            auto child = parseKey(values, at, depth + 1);
            if (!child) return nullptr;
            key->children.push_back(std::move(child));
        } else if (name == "OR") {
            key->op = Op::Or;
            for (int i = 0; i < 2; ++i) {
                auto child = parseKey(values, at, depth + 1);
                if (!child) return nullptr;
                key->children.push_back(std::move(child));
            }
        } else if (const auto set = parseImapSequenceSet(value.text)) {
            key->op = Op::Sequence;
            key->set = *set;
        } else {
            error = "Unknown search key '" + value.text.substr(0, 40) + "'";
            return nullptr;
        }
        return key;
    };
    SearchKey program;
    program.op = Op::And;
    if (position >= args.size()) {
        bad(tag, "SEARCH needs search keys", out);
        return;
    }
    while (position < args.size()) {
        auto key = parseKey(args, position, 0);
        if (!key) {
            bad(tag, error, out);
            return;
        }
        program.children.push_back(std::move(key));
    }

    const int64_t count = static_cast<int64_t>(messages_.size());
    const int64_t largestUid = messages_.empty() ? 0 : messages_.back().uid;
    bool missing = false;
    std::function<bool(const SearchKey&, size_t, Entry&, std::shared_ptr<const ImapMessage>&)>
        matches = [&](const SearchKey& key, size_t index, Entry& entry,
                      std::shared_ptr<const ImapMessage>& body) -> bool {
        auto loaded = [&]() -> const ImapMessage* {
            if (!body) body = message(entry);
            if (!body) missing = true;
            return body.get();
        };
        switch (key.op) {
            case Op::All:
                return true;
            case Op::Nothing:
                return false;
            case Op::HasFlag:
                return entry.flags.count(key.name) > 0;
            case Op::LacksFlag:
                return entry.flags.count(key.name) == 0;
            case Op::New:
                return entry.recent && !entry.flags.count("\\Seen");
            case Op::Old:
                return !entry.recent;
            case Op::Recent:
                return entry.recent;
            case Op::Header: {
                const ImapMessage* m = loaded();
                if (!m) return false;
                const std::string value = m->headerValue(key.name);
                if (key.value.empty())
                    return !m->headerValue(key.name).empty() ||
                           containsIgnoreCase(m->header(), key.name + ":");
                return containsIgnoreCase(value, key.value);
            }
            case Op::Text: {
                const ImapMessage* m = loaded();
                return m && containsIgnoreCase(m->data(), key.value);
            }
            case Op::Body: {
                const ImapMessage* m = loaded();
                return m && containsIgnoreCase(m->text(), key.value);
            }
            case Op::Since:
                return dayOf(entry.internalDateMs) >= key.number;
            case Op::Before:
                return dayOf(entry.internalDateMs) < key.number;
            case Op::On:
                return dayOf(entry.internalDateMs) == key.number;
            case Op::Larger:
                return entry.size > key.number;
            case Op::Smaller:
                return entry.size < key.number;
            case Op::Uid:
                return key.set.contains(entry.uid, largestUid);
            case Op::Sequence:
                return key.set.contains(static_cast<int64_t>(index + 1), count);
            case Op::Not:
                return !matches(*key.children[0], index, entry, body);
            case Op::Or:
                return matches(*key.children[0], index, entry, body) ||
                       matches(*key.children[1], index, entry, body);
            case Op::And:
                for (const auto& child : key.children) {
                    if (!matches(*child, index, entry, body)) return false;
                }
                return true;
        }
        return false;
    };
    std::string found;
    for (size_t i = 0; i < messages_.size(); ++i) {
        std::shared_ptr<const ImapMessage> body;
        if (matches(program, i, messages_[i], body))
            found += " " + std::to_string(byUid ? messages_[i].uid : static_cast<int64_t>(i + 1));
    }
    out += crlf("* SEARCH" + found);
    out += crlf(tag + (missing ? " OK SEARCH completed (some messages were removed meanwhile)"
                               : " OK SEARCH completed"));
}

}  // namespace faxgate::gateway
