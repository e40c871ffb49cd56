// SqliteStore, routing part (see store.h, "Routing and receptions"): the routing table of
// received faxes (rules, default route, block list) and the one transaction that files a
// received fax: its record with the routing decision, the mailbox messages and the outbox
// copies, all or nothing, so a node that re-posts after a crash never causes a second delivery
// and a committed record never lacks its messages.
//
// Kept apart from sqlite_store.cpp like sqlite_store_admin.cpp; the small transaction and row
// helpers below mirror the core file's (they live in its anonymous namespace). The tables are
// created by the version-1 migration in sqlite_store.cpp.
//
// Diagnostics: StoreError("store: <operation>: <what>"), as in the rest of the store.
#include <Poco/Data/LOB.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Tuple.h>

#include <type_traits>

#include "gateway/store/sqlite_store.h"

namespace faxgate::gateway {
namespace {

using namespace Poco::Data::Keywords;
using Poco::Int64;
using Poco::Data::BLOB;
using Poco::Data::Session;

// Largest routing table accepted: rules plus block entries. The table is read for every
// received fax, so it must stay small enough to load each time.
constexpr std::size_t kMaxRoutingEntries = 10000;
// Longest rule value (number, prefix, pattern or CSID) and notes.
constexpr std::size_t kMaxRouteValueBytes = 64;
constexpr std::size_t kMaxRouteNotesBytes = 1000;
// Most users one rule or the default route may name.
constexpr std::size_t kMaxUsersPerRoute = 100;

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

bool hasControlCharacters(const std::string& text) {
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) return true;
    }
    return false;
}

void checkUsers(const char* operation, const std::string& what,
                const std::vector<std::string>& users, bool mayBeEmpty) {
    if (users.empty() && !mayBeEmpty) fail(operation, what + " names no user");
    if (users.size() > kMaxUsersPerRoute) {
        fail(operation, what + " names more than " + std::to_string(kMaxUsersPerRoute) + " users");
    }
    for (const std::string& user : users) {
        checkId(operation, "user ID", user);
        // One user per line in the table, and "," separates users in records.routed_to.
        if (user.find_first_of("\r\n,") != std::string::npos || hasControlCharacters(user)) {
            fail(operation, what + ": user ID '" + user + "' contains a comma or a control byte");
        }
    }
}

void checkValue(const char* operation, const std::string& what, const std::string& value,
                const std::string& notes) {
    if (value.empty()) fail(operation, what + " has an empty value");
    if (value.size() > kMaxRouteValueBytes || hasControlCharacters(value)) {
        fail(operation, what + ": value longer than " + std::to_string(kMaxRouteValueBytes) +
                            " bytes or with control characters");
    }
    if (notes.size() > kMaxRouteNotesBytes) {
        fail(operation,
             what + ": notes longer than " + std::to_string(kMaxRouteNotesBytes) + " bytes");
    }
}

void checkRules(const char* operation, const RoutingRules& rules) {
    if (rules.rules.size() + rules.blocked.size() > kMaxRoutingEntries) {
        fail(operation, "more than " + std::to_string(kMaxRoutingEntries) + " rules and blocks");
    }
    for (std::size_t i = 0; i < rules.rules.size(); ++i) {
        const RoutingRule& rule = rules.rules[i];
        const std::string what = "rule " + std::to_string(i + 1);
        checkValue(operation, what, rule.value, rule.notes);
        checkUsers(operation, what, rule.users, false);
    }
    checkUsers(operation, "the default route", rules.defaultUsers, true);
    for (std::size_t i = 0; i < rules.blocked.size(); ++i) {
        const BlockEntry& block = rules.blocked[i];
        const std::string what = "block entry " + std::to_string(i + 1);
        checkValue(operation, what, block.value, block.notes);
        if (block.field == RouteField::Called) {
            fail(operation, what + " blocks a called number; only caller and csid can be blocked");
        }
        if (block.match == RouteMatch::Pattern) {
            fail(operation, what + " is a pattern; blocks are exact or prefix");
        }
    }
}

std::string joinLines(const std::vector<std::string>& items) {
    std::string joined;
    for (const std::string& item : items) {
        if (!joined.empty()) joined += '\n';
        joined += item;
    }
    return joined;
}

std::vector<std::string> splitLines(const std::string& text) {
    std::vector<std::string> items;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) items.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return items;
}

RouteField fieldFrom(const std::string& text) {
    const auto field = routeFieldFromString(text);
    if (!field) fail("loadRoutingRules", "unknown match field '" + text + "'");
    return *field;
}

RouteMatch matchFrom(const std::string& text) {
    const auto match = routeMatchFromString(text);
    if (!match) fail("loadRoutingRules", "unknown match kind '" + text + "'");
    return *match;
}

// Mirrors sqlite_store.cpp: record columns in the order of RecordRow.
const std::string kRecordColumns =
    "record_id, direction, job_id, attempt, node_id, line, number, remote_csid, pages,"
    " pages_total, duration_ms, bit_rate, ecm, result, reason, started_ms, ended_ms,"
    " called_number, caller_number, routed_to";
using RecordRow =
    Poco::Tuple<std::string, std::string, Int64, int, std::string, std::string, std::string,
                std::string, int, int, Int64, int, int, std::string, std::string, Int64, Int64,
                std::string, std::string, std::string>;

CommunicationRecord toRecord(const RecordRow& row) {
    CommunicationRecord record;
    record.recordId = row.get<0>();
    record.direction = row.get<1>();
    record.jobId = row.get<2>();
    record.attempt = row.get<3>();
    record.nodeId = row.get<4>();
    record.line = row.get<5>();
    record.number = row.get<6>();
    record.remoteCsid = row.get<7>();
    record.pages = row.get<8>();
    record.pagesTotal = row.get<9>();
    record.durationMs = row.get<10>();
    record.bitRate = row.get<11>();
    record.ecm = row.get<12>() != 0;
    record.result = row.get<13>();
    record.reason = row.get<14>();
    record.startedMs = row.get<15>();
    record.endedMs = row.get<16>();
    record.calledNumber = row.get<17>();
    record.callerNumber = row.get<18>();
    record.routedTo = row.get<19>();
    return record;
}

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

// Empty BLOBs bind as NULL in Poco's SQLite binder: COALESCE keeps the column NOT NULL.
#define FAXGATE_ROUTING_BLOB_PARAM "COALESCE(?, x'')"

BLOB toBlob(const std::string& bytes) {
    return BLOB(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

}  // namespace

RoutingRules SqliteStore::loadRoutingRules() {
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, false, "loadRoutingRules", [&] {
        RoutingRules rules;
        using RuleRow =
            Poco::Tuple<Int64, std::string, std::string, std::string, std::string, int, std::string>;
        std::vector<RuleRow> ruleRows;
        session_ << "SELECT id, field, match, value, users, priority, notes FROM routing_rules"
                    " ORDER BY priority, id",
            into(ruleRows), now;
        for (const auto& row : ruleRows) {
            RoutingRule rule;
            rule.id = row.get<0>();
            rule.field = fieldFrom(row.get<1>());
            rule.match = matchFrom(row.get<2>());
            rule.value = row.get<3>();
            rule.users = splitLines(row.get<4>());
            rule.priority = row.get<5>();
            rule.notes = row.get<6>();
            rules.rules.push_back(std::move(rule));
        }
        std::vector<std::string> defaults;
        session_ << "SELECT user FROM routing_default ORDER BY position", into(defaults), now;
        rules.defaultUsers = std::move(defaults);
        using BlockRow = Poco::Tuple<std::string, std::string, std::string, std::string>;
        std::vector<BlockRow> blockRows;
        session_ << "SELECT field, match, value, notes FROM routing_blocks ORDER BY id",
            into(blockRows), now;
        for (const auto& row : blockRows) {
            BlockEntry block;
            block.field = fieldFrom(row.get<0>());
            block.match = matchFrom(row.get<1>());
            block.value = row.get<2>();
            block.notes = row.get<3>();
            rules.blocked.push_back(std::move(block));
        }
        return rules;
    });
}

void SqliteStore::replaceRoutingRules(const RoutingRules& rules) {
    checkRules("replaceRoutingRules", rules);
    std::lock_guard<std::mutex> lock(mutex_);
    inTransaction(session_, true, "replaceRoutingRules", [&] {
        session_ << "DELETE FROM routing_rules", now;
        session_ << "DELETE FROM routing_default", now;
        session_ << "DELETE FROM routing_blocks", now;
        for (const RoutingRule& rule : rules.rules) {
            // A rule that already has an ID keeps it, so logs and admins can refer to it.
            Int64 id = rule.id;
            session_ << "INSERT INTO routing_rules (id, field, match, value, users, priority, notes)"
                        " VALUES (NULLIF(?, 0), ?, ?, ?, ?, ?, ?)",
                bind(id), bind(toString(rule.field)), bind(toString(rule.match)),
                bind(rule.value), bind(joinLines(rule.users)), bind(rule.priority),
                bind(rule.notes), now;
        }
        for (std::size_t i = 0; i < rules.defaultUsers.size(); ++i) {
            session_ << "INSERT INTO routing_default (position, user) VALUES (?, ?)",
                bind(static_cast<int>(i)), bind(rules.defaultUsers[i]), now;
        }
        for (const BlockEntry& block : rules.blocked) {
            session_ << "INSERT INTO routing_blocks (field, match, value, notes)"
                        " VALUES (?, ?, ?, ?)",
                bind(toString(block.field)), bind(toString(block.match)), bind(block.value),
                bind(block.notes), now;
        }
    });
}

std::optional<CommunicationRecord> SqliteStore::findRecord(const std::string& recordId) {
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, false, "findRecord",
                         [&]() -> std::optional<CommunicationRecord> {
                             std::vector<RecordRow> rows;
                             session_ << "SELECT " + kRecordColumns +
                                             " FROM records WHERE record_id = ?",
                                 bind(recordId), into(rows), now;
                             if (rows.empty()) return std::nullopt;
                             return toRecord(rows.front());
                         });
}

bool SqliteStore::storeReception(const CommunicationRecord& record,
                                 const std::vector<MailboxMessage>& messages,
                                 const std::vector<OutboxMail>& mails) {
    const char* operation = "storeReception";
    checkId(operation, "record ID", record.recordId);
    for (const MailboxMessage& message : messages) {
        checkId(operation, "user", message.user);
        checkId(operation, "folder", message.folder);
    }
    std::vector<std::string> recipientLists;
    for (const OutboxMail& mail : mails) {
        if (mail.to.empty()) fail(operation, "mail without recipients");
        for (const std::string& address : mail.to) {
            if (address.empty() || address.find_first_of("\r\n") != std::string::npos) {
                fail(operation, "invalid recipient address '" + address + "'");
            }
        }
        if (mail.from.find_first_of("\r\n") != std::string::npos) {
            fail(operation, "sender address contains a line break");
        }
        if (mail.data.empty()) fail(operation, "empty message");
        recipientLists.push_back(joinLines(mail.to));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return inTransaction(session_, true, operation, [&] {
        int count = 0;
        session_ << "SELECT COUNT(*) FROM records WHERE record_id = ?", bind(record.recordId),
            into(count), now;
        if (count > 0) return false;
        session_ << "INSERT INTO records (" + kRecordColumns +
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            bind(record.recordId), bind(record.direction), bind(Int64{record.jobId}),
            bind(record.attempt), bind(record.nodeId), bind(record.line), bind(record.number),
            bind(record.remoteCsid), bind(record.pages), bind(record.pagesTotal),
            bind(Int64{record.durationMs}), bind(record.bitRate), bind(record.ecm ? 1 : 0),
            bind(record.result), bind(record.reason), bind(Int64{record.startedMs}),
            bind(Int64{record.endedMs}), bind(record.calledNumber), bind(record.callerNumber),
            bind(record.routedTo), now;
        for (const MailboxMessage& message : messages) {
            session_ << "INSERT INTO mailbox_next_uid (user, folder, next_uid) VALUES (?, ?, 1)"
                        " ON CONFLICT (user, folder) DO NOTHING",
                bind(message.user), bind(message.folder), now;
            Int64 uid = 0;
            session_ << "SELECT next_uid FROM mailbox_next_uid WHERE user = ? AND folder = ?",
                bind(message.user), bind(message.folder), into(uid), now;
            session_ << "UPDATE mailbox_next_uid SET next_uid = ? WHERE user = ? AND folder = ?",
                bind(Int64{uid + 1}), bind(message.user), bind(message.folder), now;
            BLOB data = toBlob(message.data);
            session_ << "INSERT INTO mailbox (user, folder, uid, internal_date_ms, flags, data)"
                        " VALUES (?, ?, ?, ?, ?, " FAXGATE_ROUTING_BLOB_PARAM ")",
                bind(message.user), bind(message.folder), bind(uid),
                bind(Int64{message.internalDateMs}), bind(message.flags), use(data), now;
        }
        for (std::size_t i = 0; i < mails.size(); ++i) {
            const OutboxMail& mail = mails[i];
            BLOB data = toBlob(mail.data);
            session_ << "INSERT INTO outbox (state, sender, recipients, tries, next_try_ms,"
                        " last_error, data) VALUES ('queued', ?, ?, ?, ?, ?, "
                        FAXGATE_ROUTING_BLOB_PARAM ")",
                bind(mail.from), bind(recipientLists[i]), bind(mail.tries),
                bind(Int64{mail.nextTryMs}), bind(mail.lastError), use(data), now;
        }
        return true;
    });
}

}  // namespace faxgate::gateway
