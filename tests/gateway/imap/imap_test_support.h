// Shared pieces of the IMAP tests: a temporary SQLite store with two users and the fax
// report message (multipart with a base64 PDF attachment) the tests read back.
#pragma once

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "gateway/store/password_hash.h"
#include "gateway/store/store.h"

namespace faxgate::gateway::testing {

// multipart/mixed: a text part and a base64 "PDF" (12 bytes of body).
inline const std::string kFaxMessage =
    "From: Fax Gateway <fax@gw.local>\r\n"
    "To: Alice Example <alice@example.com>\r\n"
    "Subject: Fax from 0312345678\r\n"
    "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    "Message-ID: <r1@gw.local>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Received 1 page.\r\n"
    "--XX\r\n"
    "Content-Type: application/pdf; name=\"fax.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"fax.pdf\"\r\n"
    "\r\n"
    "JVBERi0xLjQK\r\n"
    "--XX--\r\n";

inline const std::string kFaxBodyStructure =
    "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 16 1 NIL NIL NIL NIL)"
    "(\"APPLICATION\" \"PDF\" (\"NAME\" \"fax.pdf\") NIL NIL \"BASE64\" 12 NIL"
    " (\"attachment\" (\"FILENAME\" \"fax.pdf\")) NIL NIL)"
    " \"MIXED\" (\"BOUNDARY\" \"XX\") NIL NIL NIL)";

inline std::string plainMessage(const std::string& subject, const std::string& body) {
    return "From: bob@example.com\r\nTo: alice@example.com\r\nSubject: " + subject + "\r\n\r\n" +
           body + "\r\n";
}

// A store in a fresh temporary directory, removed again by the destructor.
class TempStore {
  public:
    TempStore() {
        std::random_device random;
        dir_ = std::filesystem::temp_directory_path() /
               ("faxgate-imap-test-" + std::to_string(random()) + std::to_string(random()));
        std::filesystem::create_directories(dir_);
        store_ = openSqliteStore((dir_ / "store.db").string());
    }
    ~TempStore() {
        store_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    Store& store() { return *store_; }
    const std::filesystem::path& dir() const { return dir_; }

    void addUser(const std::string& id, const std::string& password) {
        User user;
        user.id = id;
        user.passwordHash = hashPassword(password);
        store_->addUser(user);
    }
    int64_t append(const std::string& user, const std::string& folder, const std::string& data,
                   const std::string& flags = "", int64_t dateMs = 1704103200000) {
        MailboxMessage message;
        message.user = user;
        message.folder = folder;
        message.data = data;
        message.flags = flags;
        message.internalDateMs = dateMs;
        return store_->appendToMailbox(message);
    }

  private:
    std::filesystem::path dir_;
    std::unique_ptr<Store> store_;
};

}  // namespace faxgate::gateway::testing
