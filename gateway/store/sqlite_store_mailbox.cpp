// SqliteStore, the IMAP part of the mailboxes (see store.h, "Mailboxes (IMAP)"): UIDVALIDITY
// and UIDNEXT, a listing without bodies, loading one message, flags, expunge and copy.
//
// Kept apart from sqlite_store.cpp so the IMAP server's storage can grow without touching the
// core store. The transaction helper, checks and mailbox statements it shares with the other
// parts are in sqlite_store_internal.h; the tables are created by the version-1 migration in
// sqlite_store.cpp (mailbox, mailbox_next_uid).
//
// Diagnostics: StoreError("store: <operation>: <what>"), as in the rest of the store.
#include <Poco/Data/LOB.h>
#include <Poco/Tuple.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "gateway/store/sqlite_store.h"
#include "gateway/store/sqlite_store_internal.h"

namespace faxgate::gateway {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Int64;
using Poco::Data::BLOB;

using sqlite_internal::changedRows;
using sqlite_internal::checkId;
using sqlite_internal::ensureMailbox;
using sqlite_internal::fail;
using sqlite_internal::fromBlob;
using sqlite_internal::insertMailboxMessage;

void checkMailbox(const char* operation, const std::string& user, const std::string& folder) {
    checkId(operation, "user", user);
    checkId(operation, "folder", folder);
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

}  // namespace

uint32_t SqliteStore::mailboxUidValidity(const std::string& user, const std::string& folder) {
    checkMailbox("mailboxUidValidity", user, folder);
    return writeTransaction("mailboxUidValidity", [&] {
        ensureMailbox(session_, user, folder);
        Int64 validity = 0;
        session_ << "SELECT uid_validity FROM mailbox_next_uid WHERE user = ? AND folder = ?",
            bind(user), bind(folder), into(validity), now;
        return static_cast<uint32_t>(validity);
    });
}

int64_t SqliteStore::mailboxUidNext(const std::string& user, const std::string& folder) {
    checkMailbox("mailboxUidNext", user, folder);
    return writeTransaction("mailboxUidNext", [&] {
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
    return readTransaction("listMailboxHeaders", [&] {
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
    return readTransaction("loadMailboxMessage", [&]() -> std::optional<MailboxMessage> {
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

bool SqliteStore::setMailboxFlags(const std::string& user, const std::string& folder, int64_t uid,
                                  const std::string& flags) {
    checkMailbox("setMailboxFlags", user, folder);
    if (flags.find_first_of("\r\n") != std::string::npos)
        fail("setMailboxFlags", "line break in flags");
    return writeTransaction("setMailboxFlags", [&] {
        session_ << "UPDATE mailbox SET flags = ? WHERE user = ? AND folder = ? AND uid = ?",
            bind(flags), bind(user), bind(folder), bind(Int64{uid}), now;
        return changedRows(session_) == 1;
    });
}

std::vector<int64_t> SqliteStore::expungeMailbox(
    const std::string& user, const std::string& folder,
    const std::optional<std::vector<int64_t>>& onlyUids) {
    checkMailbox("expungeMailbox", user, folder);
    return writeTransaction("expungeMailbox", [&] {
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
            session_ << "DELETE FROM mailbox WHERE user = ? AND folder = ? AND uid = ?", bind(user),
                bind(folder), bind(Int64{uid}), now;
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
    return writeTransaction("copyToMailbox", [&]() -> std::optional<int64_t> {
        std::vector<Poco::Tuple<Int64, std::string, BLOB>> rows;
        session_ << "SELECT internal_date_ms, flags, data FROM mailbox"
                    " WHERE user = ? AND folder = ? AND uid = ?",
            bind(user), bind(fromFolder), bind(Int64{uid}), into(rows), now;
        if (rows.empty()) return std::nullopt;
        const Int64 newUid = insertMailboxMessage(session_, user, toFolder, rows[0].get<0>(),
                                                  rows[0].get<1>(), fromBlob(rows[0].get<2>()));
        return static_cast<int64_t>(newUid);
    });
}

}  // namespace faxgate::gateway
