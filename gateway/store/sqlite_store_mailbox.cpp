// SqliteStore, the IMAP part of the mailboxes (see store.h, "Mailboxes (IMAP)"): UIDVALIDITY
// and UIDNEXT, a listing without bodies, loading one message, flags, expunge and copy.
//
// Kept apart from sqlite_store.cpp so the IMAP server's storage can grow without touching the
// core store. The small helpers below mirror the core file's (they live in its anonymous
// namespace); the tables are created by its version-1 migration (mailbox, mailbox_next_uid).
//
// Diagnostics: StoreError("store: <operation>: <what>"), as in the rest of the store.
#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Tuple.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <type_traits>

#include "gateway/store/sqlite_store.h"

namespace faxgate::gateway {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Int64;
using Poco::Data::BLOB;
using Poco::Data::Session;

// Empty BLOBs bind as NULL in Poco's SQLite binder; see sqlite_store.cpp.
#define FAXGATE_MAILBOX_BLOB_PARAM "COALESCE(?, x'')"

[[noreturn]] void fail(const std::string& operation, const std::string& what) {
    throw StoreError("store: " + operation + ": " + what);
}

void checkId(const char* operation, const char* field, const std::string& id) {
    if (id.empty()) fail(operation, std::string(field) + " is empty");
    if (id.size() > kMaxStoreIdBytes) {
        fail(operation,
             std::string(field) + " longer than " + std::to_string(kMaxStoreIdBytes) + " bytes");
    }
}

void checkMailbox(const char* operation, const std::string& user, const std::string& folder) {
    checkId(operation, "user", user);
    checkId(operation, "folder", folder);
}

std::string fromBlob(const BLOB& blob) {
    if (blob.size() == 0) return {};
    return std::string(reinterpret_cast<const char*>(blob.rawContent()), blob.size());
}

BLOB toBlob(const std::string& bytes) {
    return BLOB(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

bool hasDeletedFlag(const std::string& flags) {
    std::istringstream words(flags);
    std::string word;
    while (words >> word) {
        if (word.size() == 8 && std::equal(word.begin(), word.end(), "\\deleted",
                                           [](char a, char b) { return std::tolower(a) == b; }))
            return true;
    }
    return false;
}

// Creates the mailbox's UID row if it is missing. REQUIRES: a write transaction open.
void ensureMailbox(Session& session, const std::string& user, const std::string& folder) {
    session << "INSERT INTO mailbox_next_uid (user, folder, next_uid) VALUES (?, ?, 1)"
               " ON CONFLICT (user, folder) DO NOTHING",
        bind(user), bind(folder), now;
}

// BEGIN (IMMEDIATE for writes) ... COMMIT around `body`; rolls back on any error and turns
// Poco's errors into StoreError. REQUIRES: the store's mutex held.
template <typename Body>
auto inTransaction(Session& session, bool write, const char* operation, Body&& body)
    -> decltype(body()) {
    try {
        session << std::string(write ? "BEGIN IMMEDIATE" : "BEGIN"), now;
    } catch (const Poco::Exception& e) {
        fail(operation, "cannot start a transaction: " + e.displayText());
    }
    auto rollback = [&] {
        try {
            session << "ROLLBACK", now;
        } catch (const Poco::Exception&) {
            // Already rolled back by SQLite; the original error is what matters.
        }
    };
    try {
        if constexpr (std::is_void_v<decltype(body())>) {
            body();
            session << "COMMIT", now;
        } else {
            auto result = body();
            session << "COMMIT", now;
            return result;
        }
    } catch (const Poco::Exception& e) {
        rollback();
        fail(operation, e.displayText());
    } catch (...) {
        rollback();
        throw;
    }
}

}  // namespace

uint32_t SqliteStore::mailboxUidValidity(const std::string& user, const std::string& folder) {
    checkMailbox("mailboxUidValidity", user, folder);
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, true, "mailboxUidValidity", [&] {
        ensureMailbox(session_, user, folder);
        Int64 validity = 0;
        session_ << "SELECT uid_validity FROM mailbox_next_uid WHERE user = ? AND folder = ?",
            bind(user), bind(folder), into(validity), now;
        return static_cast<uint32_t>(validity);
    });
}

int64_t SqliteStore::mailboxUidNext(const std::string& user, const std::string& folder) {
    checkMailbox("mailboxUidNext", user, folder);
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, true, "mailboxUidNext", [&] {
        ensureMailbox(session_, user, folder);
        Int64 next = 0;
        session_ << "SELECT next_uid FROM mailbox_next_uid WHERE user = ? AND folder = ?",
            bind(user), bind(folder), into(next), now;
        return static_cast<int64_t>(next);
    });
}

std::vector<MailboxMessage> SqliteStore::listMailboxHeaders(const std::string& user,
                                                            const std::string& folder) {
    checkMailbox("listMailboxHeaders", user, folder);
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, false, "listMailboxHeaders", [&] {
        std::vector<Poco::Tuple<Int64, Int64, std::string, Int64>> rows;
        session_ << "SELECT uid, internal_date_ms, flags, length(data) FROM mailbox"
                    " WHERE user = ? AND folder = ? ORDER BY uid",
            bind(user), bind(folder), into(rows), now;
        std::vector<MailboxMessage> messages;
        messages.reserve(rows.size());
        for (const auto& row : rows) {
            MailboxMessage message;
            message.uid = row.get<0>();
            message.user = user;
            message.folder = folder;
            message.internalDateMs = row.get<1>();
            message.flags = row.get<2>();
            message.size = row.get<3>();
            messages.push_back(std::move(message));
        }
        return messages;
    });
}

std::optional<MailboxMessage> SqliteStore::loadMailboxMessage(const std::string& user,
                                                              const std::string& folder,
                                                              int64_t uid) {
    checkMailbox("loadMailboxMessage", user, folder);
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, false, "loadMailboxMessage",
                         [&]() -> std::optional<MailboxMessage> {
        std::vector<Poco::Tuple<Int64, std::string, BLOB>> rows;
        session_ << "SELECT internal_date_ms, flags, data FROM mailbox"
                    " WHERE user = ? AND folder = ? AND uid = ?",
            bind(user), bind(folder), bind(Int64{uid}), into(rows), now;
        if (rows.empty()) return std::nullopt;
        MailboxMessage message;
        message.uid = uid;
        message.user = user;
        message.folder = folder;
        message.internalDateMs = rows[0].get<0>();
        message.flags = rows[0].get<1>();
        message.data = fromBlob(rows[0].get<2>());
        message.size = static_cast<int64_t>(message.data.size());
        return message;
    });
}

bool SqliteStore::setMailboxFlags(const std::string& user, const std::string& folder,
                                  int64_t uid, const std::string& flags) {
    checkMailbox("setMailboxFlags", user, folder);
    if (flags.find_first_of("\r\n") != std::string::npos) fail("setMailboxFlags", "line break in flags");
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, true, "setMailboxFlags", [&] {
        session_ << "UPDATE mailbox SET flags = ? WHERE user = ? AND folder = ? AND uid = ?",
            bind(flags), bind(user), bind(folder), bind(Int64{uid}), now;
        int changed = 0;
        session_ << "SELECT changes()", into(changed), now;
        return changed == 1;
    });
}

std::vector<int64_t> SqliteStore::expungeMailbox(
    const std::string& user, const std::string& folder,
    const std::optional<std::vector<int64_t>>& onlyUids) {
    checkMailbox("expungeMailbox", user, folder);
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, true, "expungeMailbox", [&] {
        std::vector<Poco::Tuple<Int64, std::string>> rows;
        session_ << "SELECT uid, flags FROM mailbox WHERE user = ? AND folder = ? ORDER BY uid",
            bind(user), bind(folder), into(rows), now;
        std::set<int64_t> allowed;
        if (onlyUids) allowed.insert(onlyUids->begin(), onlyUids->end());
        std::vector<int64_t> removed;
        for (const auto& row : rows) {
            const int64_t uid = row.get<0>();
            if (!hasDeletedFlag(row.get<1>())) continue;
            if (onlyUids && allowed.count(uid) == 0) continue;
            session_ << "DELETE FROM mailbox WHERE user = ? AND folder = ? AND uid = ?",
                bind(user), bind(folder), bind(Int64{uid}), now;
            removed.push_back(uid);
        }
        return removed;
    });
}

std::optional<int64_t> SqliteStore::copyToMailbox(const std::string& user,
                                                  const std::string& fromFolder, int64_t uid,
                                                  const std::string& toFolder) {
    checkMailbox("copyToMailbox", user, fromFolder);
    checkId("copyToMailbox", "target folder", toFolder);
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, true, "copyToMailbox", [&]() -> std::optional<int64_t> {
        std::vector<Poco::Tuple<Int64, std::string, BLOB>> rows;
        session_ << "SELECT internal_date_ms, flags, data FROM mailbox"
                    " WHERE user = ? AND folder = ? AND uid = ?",
            bind(user), bind(fromFolder), bind(Int64{uid}), into(rows), now;
        if (rows.empty()) return std::nullopt;
        ensureMailbox(session_, user, toFolder);
        Int64 newUid = 0;
        session_ << "SELECT next_uid FROM mailbox_next_uid WHERE user = ? AND folder = ?",
            bind(user), bind(toFolder), into(newUid), now;
        session_ << "UPDATE mailbox_next_uid SET next_uid = ? WHERE user = ? AND folder = ?",
            bind(Int64{newUid + 1}), bind(user), bind(toFolder), now;
        const Int64 internalDate = rows[0].get<0>();
        const std::string flags = rows[0].get<1>();
        BLOB data = toBlob(fromBlob(rows[0].get<2>()));
        session_ << "INSERT INTO mailbox (user, folder, uid, internal_date_ms, flags, data)"
                    " VALUES (?, ?, ?, ?, ?, " FAXGATE_MAILBOX_BLOB_PARAM ")",
            bind(user), bind(toFolder), bind(newUid), bind(internalDate), bind(flags),
            use(data), now;
        return static_cast<int64_t>(newUid);
    });
}

}  // namespace faxgate::gateway
