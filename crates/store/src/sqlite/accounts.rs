//! [`AccountStore`] for SQLite: `accounts` and their `recovery_codes`.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;

use super::{Columns, SqliteStore, insert_failed, query_failed, stored_u64, to_i64};
use crate::{AccountStore, NewAccount, StoreError, StoredAccount, StoredRecoveryCode};

const INSERT_ACCOUNT: &str = "INSERT INTO accounts \
     (nick, nick_key, password_hash, email, age, gender, department, created_at_ms) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

const SELECT_ACCOUNT: &str = "SELECT id, nick, nick_key, password_hash, email, age, gender, \
     department, created_at_ms, last_login_ms FROM accounts WHERE nick_key = ?";

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(
        &self,
        account: &NewAccount,
        recovery_code_hashes: &[String],
    ) -> Result<u64, StoreError> {
        let created_at_ms = to_i64("created_at_ms", account.created_at_ms)?;
        let mut transaction = self
            .pool
            .begin()
            .await
            .map_err(query_failed("beginning a transaction to create an account"))?;
        let account_id = sqlx::query(INSERT_ACCOUNT)
            .bind(&account.nick)
            .bind(&account.nick_key)
            .bind(&account.password_hash)
            .bind(account.email.as_deref())
            .bind(i64::from(account.age))
            .bind(&account.gender)
            .bind(&account.department)
            .bind(created_at_ms)
            .execute(&mut *transaction)
            .await
            .map_err(insert_failed(
                "creating an account",
                "an account with this nickname",
            ))?
            .last_insert_rowid();
        for hash in recovery_code_hashes {
            sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)")
                .bind(account_id)
                .bind(hash)
                .execute(&mut *transaction)
                .await
                .map_err(query_failed("storing recovery codes"))?;
        }
        transaction
            .commit()
            .await
            .map_err(query_failed("committing a new account"))?;
        stored_u64("id", account_id)
    }

    async fn account_by_nick_key(
        &self,
        nick_key: &str,
    ) -> Result<Option<StoredAccount>, StoreError> {
        let row = sqlx::query(SELECT_ACCOUNT)
            .bind(nick_key)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_failed("reading an account"))?;
        row.as_ref().map(read_account).transpose()
    }

    async fn account_nick_keys(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT nick_key FROM accounts")
            .fetch_all(&self.pool)
            .await
            .map_err(query_failed("listing account nicknames"))
    }

    async fn set_password_hash(&self, account_id: u64, hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET password_hash = ? WHERE id = ?")
            .bind(hash)
            .bind(to_i64("account_id", account_id)?)
            .execute(&self.pool)
            .await
            .map_err(query_failed("changing a password"))?;
        Ok(())
    }

    async fn record_login(&self, account_id: u64, at_ms: u64) -> Result<(), StoreError> {
        sqlx::query("UPDATE accounts SET last_login_ms = ? WHERE id = ?")
            .bind(to_i64("at_ms", at_ms)?)
            .bind(to_i64("account_id", account_id)?)
            .execute(&self.pool)
            .await
            .map_err(query_failed("recording a login"))?;
        Ok(())
    }

    async fn unused_recovery_codes(
        &self,
        account_id: u64,
    ) -> Result<Vec<StoredRecoveryCode>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, code_hash FROM recovery_codes \
             WHERE account_id = ? AND used_at_ms IS NULL ORDER BY id",
        )
        .bind(to_i64("account_id", account_id)?)
        .fetch_all(&self.pool)
        .await
        .map_err(query_failed("reading recovery codes"))?;
        rows.iter()
            .map(|row| {
                let columns = Columns::of(row, "decoding a recovery code");
                Ok(StoredRecoveryCode {
                    id: columns.unsigned("id")?,
                    code_hash: columns.get("code_hash")?,
                })
            })
            .collect()
    }

    async fn use_recovery_code(&self, code_id: u64, at_ms: u64) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE recovery_codes SET used_at_ms = ? WHERE id = ? AND used_at_ms IS NULL",
        )
        .bind(to_i64("at_ms", at_ms)?)
        .bind(to_i64("code_id", code_id)?)
        .execute(&self.pool)
        .await
        .map_err(query_failed("using a recovery code"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn delete_account(&self, account_id: u64) -> Result<bool, StoreError> {
        let account_id = to_i64("account_id", account_id)?;
        let mut transaction = self
            .pool
            .begin()
            .await
            .map_err(query_failed("beginning a transaction to delete an account"))?;
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = ?")
            .bind(account_id)
            .execute(&mut *transaction)
            .await
            .map_err(query_failed("deleting recovery codes"))?;
        let deleted = sqlx::query("DELETE FROM accounts WHERE id = ?")
            .bind(account_id)
            .execute(&mut *transaction)
            .await
            .map_err(query_failed("deleting an account"))?;
        transaction
            .commit()
            .await
            .map_err(query_failed("committing an account deletion"))?;
        Ok(deleted.rows_affected() == 1)
    }
}

/// Reads one `accounts` row selected with [`SELECT_ACCOUNT`].
fn read_account(row: &SqliteRow) -> Result<StoredAccount, StoreError> {
    let columns = Columns::of(row, "decoding an account");
    let age: i64 = columns.get("age")?;
    Ok(StoredAccount {
        id: columns.unsigned("id")?,
        nick: columns.get("nick")?,
        nick_key: columns.get("nick_key")?,
        password_hash: columns.get("password_hash")?,
        email: columns.get("email")?,
        age: u32::try_from(age).map_err(|_| StoreError::Corrupt {
            field: "age",
            value: age.to_string(),
        })?,
        gender: columns.get("gender")?,
        department: columns.get("department")?,
        created_at_ms: columns.unsigned("created_at_ms")?,
        last_login_ms: columns.optional_unsigned("last_login_ms")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::accounts::new_account;

    #[tokio::test]
    async fn deleting_an_account_deletes_its_codes_used_or_not() {
        let (_dir, store) = SqliteStore::temporary().await;
        let codes = vec!["c1".to_owned(), "c2".to_owned()];
        let id = store
            .create_account(&new_account("Alice"), &codes)
            .await
            .unwrap();
        let unused = store.unused_recovery_codes(id).await.unwrap();
        assert!(store.use_recovery_code(unused[0].id, 5).await.unwrap());
        assert!(store.delete_account(id).await.unwrap());
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(left, 0);
        store.close().await;
    }
}
