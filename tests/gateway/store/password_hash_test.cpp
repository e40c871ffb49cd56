// Tests for password_hash.h: hashes verify their password and nothing else, carry a random
// salt, and malformed stored strings fail verification instead of throwing.
#include "gateway/store/password_hash.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace faxgate::gateway {
namespace {

TEST(PasswordHash, VerifiesTheRightPasswordOnly) {
    const std::string encoded = hashPassword("correct horse");
    EXPECT_TRUE(verifyPassword("correct horse", encoded));
    EXPECT_FALSE(verifyPassword("correct hors", encoded));
    EXPECT_FALSE(verifyPassword("correct horse ", encoded));
    EXPECT_FALSE(verifyPassword("", encoded));
}

TEST(PasswordHash, HasTheDocumentedFormat) {
    const std::string encoded = hashPassword("secret");
    const std::string prefix = "pbkdf2-sha256$" + std::to_string(kPbkdf2Iterations) + "$";
    ASSERT_EQ(encoded.compare(0, prefix.size(), prefix), 0) << encoded;
    // 16 bytes of salt -> 24 base64 characters; 32 bytes of hash -> 44.
    EXPECT_EQ(encoded.size(), prefix.size() + 24 + 1 + 44) << encoded;
}

TEST(PasswordHash, SamePasswordHashesDifferently) {
    const std::string first = hashPassword("same");
    const std::string second = hashPassword("same");
    EXPECT_NE(first, second);
    EXPECT_TRUE(verifyPassword("same", first));
    EXPECT_TRUE(verifyPassword("same", second));
}

TEST(PasswordHash, EmptyAndBinaryPasswordsWork) {
    EXPECT_TRUE(verifyPassword("", hashPassword("")));
    const std::string binary("a\0b\xff", 4);
    const std::string encoded = hashPassword(binary);
    EXPECT_TRUE(verifyPassword(binary, encoded));
    EXPECT_FALSE(verifyPassword("a", encoded));
}

TEST(PasswordHash, ReadsTheIterationCountFromTheString) {
    // Known vector, computed independently with Python's hashlib:
    //   base64(hashlib.pbkdf2_hmac('sha256', b'password', b'saltsalt', 2))
    const std::string hash = "j0Xr2TDUGb2ExAqHE9c43F1b6VtmN1HehzWI9wkQpsQ=";
    const std::string salt = "c2FsdHNhbHQ=";  // "saltsalt"
    EXPECT_TRUE(verifyPassword("password", "pbkdf2-sha256$2$" + salt + "$" + hash));
    EXPECT_FALSE(verifyPassword("password", "pbkdf2-sha256$3$" + salt + "$" + hash));
    EXPECT_FALSE(verifyPassword("passwore", "pbkdf2-sha256$2$" + salt + "$" + hash));
}

TEST(PasswordHash, MalformedStringsFailWithoutThrowing) {
    const std::string good = hashPassword("pw");
    const std::size_t saltAt = good.find('$', 14) + 1;
    const std::size_t hashAt = good.find('$', saltAt) + 1;
    const std::string salt = good.substr(saltAt, hashAt - saltAt - 1);
    const std::string hash = good.substr(hashAt);
    const std::string malformed[] = {
        "",
        "pw",
        "$$$",
        "pbkdf2-sha256",
        "pbkdf2-sha256$100000$" + salt,
        "pbkdf2-sha1$100000$" + salt + "$" + hash,
        "pbkdf2-sha256$$" + salt + "$" + hash,
        "pbkdf2-sha256$0$" + salt + "$" + hash,
        "pbkdf2-sha256$-5$" + salt + "$" + hash,
        "pbkdf2-sha256$10x$" + salt + "$" + hash,
        "pbkdf2-sha256$99999999999999999999$" + salt + "$" + hash,
        "pbkdf2-sha256$2000000000$" + salt + "$" + hash,  // above kMaxPbkdf2Iterations
        "pbkdf2-sha256$100000$!!!!$" + hash,
        "pbkdf2-sha256$100000$" + salt + "$" + hash.substr(0, 40),
        "pbkdf2-sha256$100000$" + salt + "$" + hash + "$extra",
        "pbkdf2-sha256$100000$ " + salt + "$" + hash,
        "pbkdf2-sha256$100000$" + salt + "$" + hash + "AAAA",
    };
    for (const std::string& encoded : malformed) {
        bool verified = true;
        EXPECT_NO_THROW(verified = verifyPassword("pw", encoded)) << encoded;
        EXPECT_FALSE(verified) << encoded;
    }
    EXPECT_TRUE(verifyPassword("pw", good));
}

TEST(PasswordHash, OverlongPasswordsAreRefused) {
    const std::string overlong(kMaxPasswordBytes + 1, 'x');
    EXPECT_THROW(hashPassword(overlong), std::invalid_argument);
    EXPECT_FALSE(verifyPassword(overlong, hashPassword("x")));
}

}  // namespace
}  // namespace faxgate::gateway
