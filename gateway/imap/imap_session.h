// One IMAP4rev1 conversation (RFC 3501, with LITERAL+, IDLE and UIDPLUS) as a state machine:
// bytes in, bytes out, plus an action for what only the connection can do (start TLS,
// close). No sockets and no threads here, so it is unit-tested and fuzzed without a network;
// imap_server.cpp drives it.
//
// Users see only their own mailboxes, a fixed set of folders: "INBOX" (received faxes) and
// "Sent Faxes" (transmission reports). Messages live in the Store; the session keeps the
// selected folder's message list (UID, flags, size, date) to number messages, and loads
// bodies on demand into a small cache. Changes made by other sessions are picked up at
// NOOP, CHECK, EXPUNGE and while idling (mailboxChanged()).
//
// Replies: BAD for syntax errors, with the reason; NO for refusals (read-only folder, fixed
// folder set, APPEND); "NO [UNAVAILABLE]" when the store fails. No exception escapes
// consume().
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/imap/imap_message.h"
#include "gateway/imap/imap_parser.h"
#include "gateway/store/store.h"

namespace faxgate::gateway {

struct ImapSessionOptions {
    // Name in the greeting.
    std::string hostname = "localhost";
    // STARTTLS can be offered (the server has a certificate).
    bool tlsAvailable = false;
    // LOGIN and AUTHENTICATE without TLS; false advertises LOGINDISABLED until STARTTLS.
    bool allowPlaintextLogin = true;
    // Longest command line (literals not counted).
    size_t maxCommandBytes = 65536;
    // Largest literal a client may send.
    size_t maxLiteralBytes = 1024 * 1024;
    // Failed logins before the session is closed.
    int maxAuthFailures = 3;
    // Syntax errors in a row before the session is closed.
    int maxConsecutiveErrors = 20;
    // Message bodies kept in memory per session.
    size_t maxCachedMessages = 8;
};

// Which messages are \Recent: the first session to select a mailbox after a message
// arrived sees it as recent (RFC 3501 2.3.2), later sessions do not. Shared by all sessions
// of a server. Thread-safe (one mutex).
class ImapRecentRegistry {
  public:
    // Marks every UID below uidNext as seen by a session and returns the first UID that is
    // recent for the caller (all UIDs >= it and < uidNext).
    int64_t claim(const std::string& user, const std::string& folder, int64_t uidNext);
    // The first UID that would be recent for the next claim, without claiming.
    int64_t peek(const std::string& user, const std::string& folder);

  private:
    std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, int64_t> firstUnclaimed_;
};

enum class ImapAction { None, StartTls, Close };

struct ImapSessionSummary {
    std::string user;  // after a successful login
    int authFailures = 0;
    int commands = 0;
    int messagesFetched = 0;  // FETCH responses with message content
    int messagesExpunged = 0;
    std::string endReason;
};

// Not thread-safe: one per connection, driven by one thread. `store` and `recent` must
// outlive the session; `admitUser` (may be empty) is asked at login whether the user may
// open another session.
class ImapSession {
  public:
    ImapSession(const ImapSessionOptions& options, Store& store, ImapRecentRegistry& recent,
                std::function<bool(const std::string& user)> admitUser = {});
    ~ImapSession();

    // "* OK [CAPABILITY ...] <hostname> IMAP4rev1 ready".
    std::string greeting() const;
    // Feeds client bytes; appends the replies to `output`. After StartTls the caller must
    // start TLS, then call tlsStarted(); after Close it sends `output` and closes.
    ImapAction consume(std::string_view bytes, std::string& output);
    void tlsStarted();
    // Called by the server while idling (e.g. every second): announces new, changed and
    // expunged messages of the selected folder.
    void mailboxChanged(std::string& output);
    // The client was silent too long: the BYE to send before closing.
    std::string timeout();
    void connectionLost(const std::string& reason);

    bool closed() const { return closed_; }
    bool idling() const { return idling_; }
    bool authenticated() const { return !user_.empty(); }
    bool tlsActive() const { return tlsActive_; }
    const ImapSessionSummary& summary() const { return summary_; }

  private:
    struct Entry {
        int64_t uid = 0;
        std::set<std::string> flags;  // canonical system flags
        int64_t size = 0;
        int64_t internalDateMs = 0;
        bool recent = false;
    };
    struct SearchKey;

    ImapAction handleCommand(const std::string& text, std::string& out);
    ImapAction dispatch(const ImapCommand& command, std::string& out);
    void bad(const std::string& tag, const std::string& reason, std::string& out);
    std::string capabilities() const;
    bool loginAllowed() const { return options_.allowPlaintextLogin || tlsActive_; }

    ImapAction login(const std::string& tag, const std::string& user, const std::string& password,
                     std::string& out);
    ImapAction finishAuthenticate(const std::string& line, std::string& out);
    void list(const ImapCommand& command, bool lsub, std::string& out);
    void select(const ImapCommand& command, bool readOnly, std::string& out);
    void status(const ImapCommand& command, std::string& out);
    void fetch(const std::string& tag, const std::vector<ImapValue>& args, bool byUid,
               std::string& out);
    void store(const std::string& tag, const std::vector<ImapValue>& args, bool byUid,
               std::string& out);
    void copy(const std::string& tag, const std::vector<ImapValue>& args, bool byUid,
              std::string& out);
    void search(const std::string& tag, const std::vector<ImapValue>& args, bool byUid,
                std::string& out);
    void expunge(const std::string& tag, const std::optional<ImapSequenceSet>& uids,
                 std::string& out);
    // Re-reads the selected folder; untagged EXPUNGE only when allowExpunge.
    void refresh(bool allowExpunge, std::string& out);
    void deselect();

    // Indexes (0-based) of the selected messages a set names; nothing (and `error` set) if a
    // sequence number is out of range.
    std::optional<std::vector<size_t>> resolve(const ImapSequenceSet& set, bool byUid,
                                               std::string& error) const;
    std::shared_ptr<const ImapMessage> message(const Entry& entry);
    bool saveFlags(Entry& entry);
    std::string flagList(const Entry& entry) const;

    std::optional<std::string> canonicalFolder(const std::string& name) const;

    ImapSessionOptions options_;
    Store& store_;
    ImapRecentRegistry& recent_;
    std::function<bool(const std::string&)> admitUser_;
    ImapCommandReader reader_;

    bool tlsActive_ = false;
    bool closed_ = false;
    bool idling_ = false;
    std::string idleTag_;
    std::optional<std::string> authenticateTag_;  // AUTHENTICATE waiting for its response
    int consecutiveErrors_ = 0;

    std::string user_;
    std::optional<std::string> folder_;  // selected folder
    bool readOnly_ = false;
    uint32_t uidValidity_ = 0;
    std::vector<Entry> messages_;
    std::deque<std::pair<int64_t, std::shared_ptr<const ImapMessage>>> cache_;

    ImapSessionSummary summary_;
};

}  // namespace faxgate::gateway
