//! Member accounts on the hub: registration, login (on entry or with
//! `authenticate`, what IRC's SASL uses), recovery codes, password change and
//! account deletion.
//!
//! The hub decides; credential jobs compute. Everything that needs the store
//! or Argon2 runs as a job on its own tokio task, holding one of a few
//! permits (`accounts.hashing_threads`) while it hashes on a blocking thread,
//! and its outcome comes back to the hub as a [`JobDone`] message. The hub
//! task never awaits a job. While a session has a job in flight, its later
//! requests wait in order ("parked") and are handled once the outcome is
//! in, so a client that pipelines `enter` and `join` sees them answered in
//! order, exactly as without accounts.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tchatche_protocol::{AccountCommand, Department, ErrorCode, Event, Gender, UserId};
use tchatche_store::{AccountStore, NewAccount, StoreError, StoredAccount};
use tokio::sync::Semaphore;

use crate::credentials::{
    self, PasswordHashing, check_email, check_new_password, normalise_recovery_code,
};
use crate::ids::now_ms;
use crate::outbox::Outgoing;
use crate::session::Admission;
use crate::state::{Hub, Outcome, refuse};
use crate::throttle::{LoginLimits, LoginThrottle};
use crate::work::Done;

/// Requests of one session kept while its credential job runs; beyond this
/// they are refused with `busy`.
pub(crate) const MAX_PARKED: usize = 64;

/// Milliseconds in an average year, to age members since registration.
const YEAR_MS: u64 = 31_557_600_000;

/// What proves a login.
pub(crate) enum Secret {
    Password(String),
    RecoveryCode(String),
}

/// Why a login was asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoginPurpose {
    /// `enter` with a password or recovery code: enter once it checks out.
    Enter,
    /// `authenticate`: remember the account for a later `enter`.
    Authenticate,
}

/// A job's failure, as the hub reports it.
#[derive(Debug)]
pub(crate) enum JobFailure {
    WrongPassword,
    WrongRecoveryCode,
    AccountNotFound,
    /// The nickname got an account meanwhile.
    Duplicate,
    /// Storage or hashing broke; logged where it happened.
    Internal,
}

impl From<StoreError> for JobFailure {
    fn from(error: StoreError) -> JobFailure {
        match error {
            StoreError::Duplicate { .. } => JobFailure::Duplicate,
            error => {
                tracing::error!(error = %error, "account storage failed");
                JobFailure::Internal
            }
        }
    }
}

/// What a credential job found out.
pub(crate) enum JobOutcome {
    Login {
        purpose: LoginPurpose,
        result: Result<(StoredAccount, bool), JobFailure>,
    },
    Registered(Result<(u64, Vec<String>), JobFailure>),
    PasswordChanged(Result<(), JobFailure>),
    AccountDeleted(Result<(), JobFailure>),
}

/// What a job's outcome says of the password or code it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// It was wrong.
    Wrong,
    /// It was right.
    Right,
    /// Nothing was tested (no account, a storage failure), or nothing was
    /// given (registration).
    Void,
}

impl JobOutcome {
    fn attempt(&self) -> Attempt {
        let of = |failure: &JobFailure| match failure {
            JobFailure::WrongPassword | JobFailure::WrongRecoveryCode => Attempt::Wrong,
            _ => Attempt::Void,
        };
        match self {
            JobOutcome::Login { result: Ok(_), .. }
            | JobOutcome::PasswordChanged(Ok(()))
            | JobOutcome::AccountDeleted(Ok(())) => Attempt::Right,
            JobOutcome::Login {
                result: Err(failure),
                ..
            }
            | JobOutcome::PasswordChanged(Err(failure))
            | JobOutcome::AccountDeleted(Err(failure))
            | JobOutcome::Registered(Err(failure)) => of(failure),
            JobOutcome::Registered(Ok(_)) => Attempt::Void,
        }
    }
}

/// A job's outcome on its way back to the hub.
pub(crate) struct JobDone {
    pub id: UserId,
    pub req: Option<u32>,
    pub outcome: JobOutcome,
}

/// How the hub starts credential jobs, and the failed-login throttles.
pub(crate) struct Credentials {
    store: Option<Arc<dyn AccountStore>>,
    hashing: Arc<PasswordHashing>,
    permits: Arc<Semaphore>,
    /// Folded nicknames that belong to an account: entering with one needs
    /// its password. Loaded at start, kept in step by the hub.
    pub member_keys: std::collections::HashSet<String>,
    /// The failed-login throttles.
    pub throttle: LoginThrottle,
    /// Logins under way or just done, by session: only sessions that tried
    /// one carry an entry.
    logins: std::collections::HashMap<UserId, Login>,
}

/// What a session's login left to remember.
#[derive(Default)]
struct Login {
    /// The account `authenticate` proved, until `enter` uses it.
    authenticated: Option<Box<StoredAccount>>,
    /// Entered with a recovery code: may set a new password without the old.
    recovered: bool,
    /// The nickname whose password this session's job is testing, counted
    /// by the failed-login throttle until the outcome settles it.
    attempt: Option<String>,
}

impl Credentials {
    pub async fn new(
        settings: &crate::settings::AccountSettings,
        store: Option<Arc<dyn AccountStore>>,
    ) -> Result<Credentials, crate::StartError> {
        let hashing = PasswordHashing::new(settings.argon2_memory_kib, settings.argon2_iterations)?;
        let member_keys = match &store {
            Some(store) => store.account_nick_keys().await?.into_iter().collect(),
            None => Default::default(),
        };
        let credentials = Credentials {
            store,
            hashing: Arc::new(hashing),
            permits: Arc::new(Semaphore::new(settings.hashing_threads.max(1))),
            member_keys,
            throttle: LoginThrottle::new(LoginLimits {
                per_nickname_and_address: settings.max_failed_logins_per_nickname,
                per_nickname: settings.max_failed_logins_per_nickname_anywhere,
                per_address: settings.max_failed_logins_per_ip,
                window: settings.failed_login_window,
            }),
            logins: std::collections::HashMap::new(),
        };
        Ok(credentials)
    }

    /// Whether `authenticate` proved the account of `nick_key` for `id`.
    pub fn proved(&self, id: UserId, nick_key: &str) -> bool {
        self.logins
            .get(&id)
            .and_then(|login| login.authenticated.as_ref())
            .is_some_and(|account| account.nick_key == nick_key)
    }

    /// The account `authenticate` proved for `id`, for `enter` to use.
    pub fn take_proved(&mut self, id: UserId) -> Option<Box<StoredAccount>> {
        self.logins.get_mut(&id)?.authenticated.take()
    }

    /// Whether `id` entered with a recovery code (and has not set a new
    /// password since).
    fn recovered(&self, id: UserId) -> bool {
        self.logins.get(&id).is_some_and(|login| login.recovered)
    }

    fn login(&mut self, id: UserId) -> &mut Login {
        self.logins.entry(id).or_default()
    }

    /// `id` left: what their login left goes.
    pub fn forget(&mut self, id: UserId) {
        self.logins.remove(&id);
    }

    /// `job` as work to run off the hub, holding a hashing permit; `None`
    /// when there is no account store.
    fn job<F, Job>(
        &self,
        id: UserId,
        req: Option<u32>,
        job: F,
    ) -> Option<impl Future<Output = Done> + Send + 'static>
    where
        F: FnOnce(Arc<dyn AccountStore>, Arc<PasswordHashing>) -> Job,
        Job: Future<Output = JobOutcome> + Send + 'static,
    {
        let store = self.store.clone()?;
        let job = job(store, Arc::clone(&self.hashing));
        let permits = Arc::clone(&self.permits);
        Some(async move {
            // The semaphore is never closed; without a permit, run anyway.
            let _permit = permits.acquire_owned().await.ok();
            let outcome = job.await;
            Done::Credentials(JobDone { id, req, outcome })
        })
    }
}

/// Runs Argon2 work on a blocking thread.
async fn blocking<T: Send + 'static>(
    hashing: &Arc<PasswordHashing>,
    work: impl FnOnce(&PasswordHashing) -> T + Send + 'static,
) -> Result<T, JobFailure> {
    let hashing = Arc::clone(hashing);
    tokio::task::spawn_blocking(move || work(&hashing))
        .await
        .map_err(|error| {
            tracing::error!(%error, "password hashing task failed");
            JobFailure::Internal
        })
}

/// Checks a login; on success a used recovery code is spent.
async fn check_login(
    store: &dyn AccountStore,
    hashing: &Arc<PasswordHashing>,
    nick_key: &str,
    secret: Secret,
) -> Result<(StoredAccount, bool), JobFailure> {
    let account = store
        .account_by_nick_key(nick_key)
        .await?
        .ok_or(JobFailure::AccountNotFound)?;
    let recovered = match secret {
        Secret::Password(password) => {
            let hash = account.password_hash.clone();
            if !blocking(hashing, move |h| h.verify(&password, &hash)).await? {
                return Err(JobFailure::WrongPassword);
            }
            false
        }
        Secret::RecoveryCode(code) => {
            let codes = store.unused_recovery_codes(account.id).await?;
            let code = normalise_recovery_code(&code);
            let found = blocking(hashing, move |h| {
                codes
                    .iter()
                    .find(|stored| h.verify(&code, &stored.code_hash))
                    .map(|stored| stored.id)
            })
            .await?;
            let Some(code_id) = found else {
                return Err(JobFailure::WrongRecoveryCode);
            };
            // Two logins racing for one code: only the first spends it.
            if !store.use_recovery_code(code_id, now_ms()).await? {
                return Err(JobFailure::WrongRecoveryCode);
            }
            true
        }
    };
    if let Err(error) = store.record_login(account.id, now_ms()).await {
        // The login itself is sound; only its date is lost.
        tracing::warn!(%error, "could not record a login");
    }
    Ok((account, recovered))
}

/// Checks a member's password by account id's nickname key.
async fn check_password(
    store: &dyn AccountStore,
    hashing: &Arc<PasswordHashing>,
    nick_key: &str,
    password: String,
) -> Result<StoredAccount, JobFailure> {
    let account = store
        .account_by_nick_key(nick_key)
        .await?
        .ok_or(JobFailure::AccountNotFound)?;
    let hash = account.password_hash.clone();
    if blocking(hashing, move |h| h.verify(&password, &hash)).await? {
        Ok(account)
    } else {
        Err(JobFailure::WrongPassword)
    }
}

/// The stored name of a gender.
fn gender_name(gender: Gender) -> &'static str {
    match gender {
        Gender::Homme => "homme",
        Gender::Femme => "femme",
        Gender::Autre => "autre",
    }
}

fn gender_from_name(name: &str) -> Option<Gender> {
    match name {
        "homme" => Some(Gender::Homme),
        "femme" => Some(Gender::Femme),
        "autre" => Some(Gender::Autre),
        _ => None,
    }
}

/// A member's age today: the age they gave at registration plus the years
/// since, so a teen member joins the adult band when they turn 18 by the
/// calendar rather than never.
pub(crate) fn age_now(account: &StoredAccount, now_ms: u64) -> u32 {
    let years = now_ms.saturating_sub(account.created_at_ms) / YEAR_MS;
    account
        .age
        .saturating_add(u32::try_from(years).unwrap_or(u32::MAX))
}

/// The refusal of a locked login, with when to try again.
fn too_many_attempts(req: Option<u32>, wait: Duration) -> tchatche_protocol::ErrorEvent {
    refuse(req, ErrorCode::TooManyAttempts)
        .with_retry_after_ms(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1))
}

impl Hub {
    /// Refuses with `too_many_attempts` while `nick_key` is locked for the
    /// session's address (or everywhere), or the address is; otherwise
    /// counts this attempt as a failure until its job says otherwise
    /// ([`Hub::settle_attempt`]), so that many attempts at once cannot slip
    /// past the limit.
    fn claim_attempt(&mut self, id: UserId, req: Option<u32>, nick_key: &str) -> Outcome {
        let Some(session) = self.sessions.get(&id) else {
            return Ok(());
        };
        let address = session.info.peer.ip();
        self.credentials
            .throttle
            .claim(nick_key, address, Instant::now())
            .map_err(|wait| too_many_attempts(req, wait))?;
        self.credentials.login(id).attempt = Some(nick_key.to_owned());
        Ok(())
    }

    /// Settles the attempt a job's outcome answers (see
    /// [`LoginThrottle::settle`]).
    fn settle_attempt(&mut self, id: UserId, verdict: Attempt) {
        let Some(session) = self.sessions.get(&id) else {
            return;
        };
        let address = session.info.peer.ip();
        let Some(nick_key) = self.credentials.login(id).attempt.take() else {
            return;
        };
        self.credentials.throttle.settle(
            &nick_key,
            address,
            verdict == Attempt::Right,
            verdict == Attempt::Void,
        );
    }

    /// Marks the session busy and runs `job`; `server_error` without a store.
    fn start_job<F, Job>(&mut self, id: UserId, req: Option<u32>, job: F) -> Outcome
    where
        F: FnOnce(Arc<dyn AccountStore>, Arc<PasswordHashing>) -> Job,
        Job: Future<Output = JobOutcome> + Send + 'static,
    {
        let Some(work) = self.credentials.job(id, req, job) else {
            return Err(refuse(req, ErrorCode::ServerError).with_detail("no account store"));
        };
        self.park_for(id, work);
        Ok(())
    }

    /// Starts checking a login for the member `nick_key`.
    pub(crate) fn start_login(
        &mut self,
        id: UserId,
        req: Option<u32>,
        nick_key: String,
        secret: Secret,
        purpose: LoginPurpose,
    ) -> Outcome {
        if !self.credentials.member_keys.contains(&nick_key) {
            // A name no member has tests nothing, but trying names is a
            // way to probe: it counts against the address.
            if let Some(session) = self.sessions.get(&id) {
                let address = session.info.peer.ip();
                self.credentials
                    .throttle
                    .fail_unknown(address, Instant::now())
                    .map_err(|wait| too_many_attempts(req, wait))?;
            }
            return Err(refuse(req, ErrorCode::AccountNotFound));
        }
        self.claim_attempt(id, req, &nick_key)?;
        self.start_job(id, req, move |store, hashing| async move {
            let result = check_login(&*store, &hashing, &nick_key, secret).await;
            JobOutcome::Login { purpose, result }
        })
    }

    /// `authenticate`: check a member's password before entering.
    pub(crate) fn authenticate(
        &mut self,
        id: UserId,
        req: Option<u32>,
        account: &str,
        password: String,
    ) -> Outcome {
        let Some(session) = self.sessions.get(&id) else {
            return Ok(());
        };
        if session.person.is_some() {
            return Err(refuse(req, ErrorCode::AlreadyEntered));
        }
        let nick_key = tchatche_safety::nickname::nickname_key(account);
        self.start_login(
            id,
            req,
            nick_key,
            Secret::Password(password),
            LoginPurpose::Authenticate,
        )
    }

    /// Checks a new password against the rules, with the limit as detail.
    fn check_password_rules(&self, req: Option<u32>, password: &str, nick: &str) -> Outcome {
        let min = self.settings.accounts.min_password_chars;
        check_new_password(password, nick, min).map_err(|refusal| {
            let detail = match refusal {
                credentials::PasswordRefusal::TooShort => format!("minimum {min}"),
                credentials::PasswordRefusal::TooLong => {
                    format!("maximum {}", credentials::MAX_PASSWORD_CHARS)
                }
                credentials::PasswordRefusal::TooWeak => String::new(),
            };
            let error = refuse(req, refusal.code());
            if detail.is_empty() {
                error
            } else {
                error.with_detail(detail)
            }
        })
    }

    /// `register`: reserve my nickname with a password.
    pub(crate) fn register(
        &mut self,
        id: UserId,
        req: Option<u32>,
        password: String,
        email: Option<String>,
    ) -> Outcome {
        let person = self.person(id, req)?;
        if person.account.is_some() {
            return Err(refuse(req, ErrorCode::AlreadyMember));
        }
        self.check_password_rules(req, &password, &person.nick)?;
        let email = check_email(email.as_deref()).map_err(|code| refuse(req, code))?;
        let account = NewAccount {
            nick: person.nick.clone(),
            nick_key: person.nick_key.clone(),
            password_hash: String::new(),
            email,
            age: person.age,
            gender: gender_name(person.gender).to_owned(),
            department: person.department.code().to_owned(),
            created_at_ms: now_ms(),
        };
        let n_codes = self.settings.accounts.recovery_codes;
        self.start_job(id, req, move |store, hashing| async move {
            let hashed = blocking(&hashing, move |h| {
                let codes: Vec<String> = (0..n_codes)
                    .map(|_| credentials::new_recovery_code())
                    .collect();
                let password_hash = h.hash(&password)?;
                let code_hashes = codes
                    .iter()
                    .map(|code| h.hash(&normalise_recovery_code(code)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok::<_, credentials::HashingFailed>((password_hash, codes, code_hashes))
            })
            .await;
            let result = match hashed {
                Ok(Ok((password_hash, codes, code_hashes))) => {
                    let account = NewAccount {
                        password_hash,
                        ..account
                    };
                    store
                        .create_account(&account, &code_hashes)
                        .await
                        .map(|account_id| (account_id, codes))
                        .map_err(JobFailure::from)
                }
                Ok(Err(error)) => {
                    tracing::error!(%error, "could not hash a new password");
                    Err(JobFailure::Internal)
                }
                Err(failure) => Err(failure),
            };
            JobOutcome::Registered(result)
        })
    }

    /// `change_password`: the current password, or none right after a
    /// recovery-code login.
    pub(crate) fn change_password(
        &mut self,
        id: UserId,
        req: Option<u32>,
        current: Option<String>,
        new_password: String,
    ) -> Outcome {
        let recovered = self.credentials.recovered(id);
        let person = self.person(id, req)?;
        if person.account.is_none() {
            return Err(refuse(req, ErrorCode::NotMember));
        }
        let nick_key = person.nick_key.clone();
        self.check_password_rules(req, &new_password, &person.nick)?;
        let current = current.filter(|current| !current.is_empty());
        if current.is_none() && !recovered {
            return Err(refuse(req, ErrorCode::MissingField).with_detail("current"));
        }
        if current.is_some() {
            self.claim_attempt(id, req, &nick_key)?;
        }
        self.start_job(id, req, move |store, hashing| async move {
            let result = async {
                let account = match current {
                    Some(current) => check_password(&*store, &hashing, &nick_key, current).await?,
                    None => store
                        .account_by_nick_key(&nick_key)
                        .await?
                        .ok_or(JobFailure::AccountNotFound)?,
                };
                let hash = blocking(&hashing, move |h| h.hash(&new_password))
                    .await?
                    .map_err(|error| {
                        tracing::error!(%error, "could not hash a new password");
                        JobFailure::Internal
                    })?;
                store.set_password_hash(account.id, &hash).await?;
                Ok(())
            }
            .await;
            JobOutcome::PasswordChanged(result)
        })
    }

    /// `delete_account`: erase my account and its codes; I stay as a guest.
    pub(crate) fn delete_account(
        &mut self,
        id: UserId,
        req: Option<u32>,
        password: String,
    ) -> Outcome {
        let person = self.person(id, req)?;
        if person.account.is_none() {
            return Err(refuse(req, ErrorCode::NotMember));
        }
        let nick_key = person.nick_key.clone();
        self.claim_attempt(id, req, &nick_key)?;
        self.start_job(id, req, move |store, hashing| async move {
            let result = async {
                let account = check_password(&*store, &hashing, &nick_key, password).await?;
                store.delete_account(account.id).await?;
                Ok(())
            }
            .await;
            JobOutcome::AccountDeleted(result)
        })
    }

    /// A job's outcome (the session's later requests are handled after
    /// it, see [`Hub::park_for`]).
    pub(crate) fn on_job_done(&mut self, JobDone { id, req, outcome }: JobDone) {
        if let Err(error) = self.apply_outcome(id, req, outcome) {
            self.send(id, Event::Error(error));
        }
    }

    fn apply_outcome(&mut self, id: UserId, req: Option<u32>, outcome: JobOutcome) -> Outcome {
        self.settle_attempt(id, outcome.attempt());
        let failed = |failure: JobFailure| {
            let code = match failure {
                JobFailure::WrongPassword => ErrorCode::WrongPassword,
                JobFailure::WrongRecoveryCode => ErrorCode::WrongRecoveryCode,
                JobFailure::AccountNotFound => ErrorCode::AccountNotFound,
                JobFailure::Duplicate => ErrorCode::NicknameTaken,
                JobFailure::Internal => ErrorCode::ServerError,
            };
            refuse(req, code)
        };
        match outcome {
            JobOutcome::Login { purpose, result } => match result {
                Ok((account, recovered)) => match purpose {
                    LoginPurpose::Enter => self.admit_member(id, req, account, recovered),
                    LoginPurpose::Authenticate => {
                        let name = account.nick.clone();
                        self.credentials.login(id).authenticated = Some(Box::new(account));
                        self.send(id, Event::Authenticated { req, account: name });
                        Ok(())
                    }
                },
                Err(failure) => Err(failed(failure)),
            },
            JobOutcome::Registered(result) => {
                let nick_key = self.person(id, req)?.nick_key.clone();
                let (account_id, recovery_codes) = result.map_err(failed)?;
                self.credentials.member_keys.insert(nick_key);
                let person = self.person_mut(id, req)?;
                person.account = Some(account_id);
                let you = person.summary(id, Instant::now());
                tracing::info!(user = %id, nick = %you.nick, "registered");
                self.send(
                    id,
                    Event::Registered {
                        req,
                        you,
                        recovery_codes,
                    },
                );
                self.tell_account_change(id, true);
                Ok(())
            }
            JobOutcome::PasswordChanged(result) => {
                result.map_err(failed)?;
                self.credentials.login(id).recovered = false;
                self.send(id, Event::Ok { req });
                Ok(())
            }
            JobOutcome::AccountDeleted(result) => {
                let nick_key = self.person(id, req)?.nick_key.clone();
                result.map_err(failed)?;
                self.credentials.member_keys.remove(&nick_key);
                self.person_mut(id, req)?.account = None;
                self.credentials.forget(id);
                tracing::info!(user = %id, "account deleted");
                self.send(id, Event::Ok { req });
                self.tell_account_change(id, false);
                Ok(())
            }
        }
    }

    /// Enters a member with the profile stored at registration.
    pub(crate) fn admit_member(
        &mut self,
        id: UserId,
        req: Option<u32>,
        account: StoredAccount,
        recovered: bool,
    ) -> Outcome {
        let (Some(gender), Some(department)) = (
            gender_from_name(&account.gender),
            Department::parse(&account.department),
        ) else {
            tracing::error!(account = account.id, "stored profile is unreadable");
            return Err(refuse(req, ErrorCode::ServerError));
        };
        let age = age_now(&account, now_ms());
        if age < self.settings.min_age {
            return Err(refuse(req, ErrorCode::AgeTooYoung)
                .with_detail(format!("minimum {}", self.settings.min_age)));
        }
        self.admit(
            id,
            req,
            Admission {
                nick: account.nick,
                nick_key: account.nick_key,
                age,
                gender,
                department,
                account: Some(account.id),
            },
        )?;
        // Only a recovery-code login leaves something to remember.
        self.credentials.forget(id);
        if recovered {
            self.credentials.login(id).recovered = true;
        }
        Ok(())
    }

    /// Tells the people who share a room with `id`, and those watching
    /// presence, that they became a member or stopped being one.
    fn tell_account_change(&mut self, id: UserId, member: bool) {
        let Some(person) = self.sessions.get(&id).and_then(|s| s.person.as_ref()) else {
            return;
        };
        let band = person.band;
        let rooms = person.rooms.clone();
        let user = person.author(id);
        let peers = self.peers(id, band, &rooms, true);
        self.effects.deliver(
            crate::effects::Recipients::Queues(peers),
            Outgoing::new(Event::AccountChanged { user, member }),
        );
    }
}

impl Hub {
    /// The commands of this family, each to its handler.
    pub(crate) fn account_command(
        &mut self,
        id: UserId,
        req: Option<u32>,
        command: AccountCommand,
    ) -> Outcome {
        match command {
            AccountCommand::Enter(enter) => self.enter(id, req, enter),
            AccountCommand::Authenticate { account, password } => {
                self.authenticate(id, req, &account, password)
            }
            AccountCommand::Register { password, email } => self.register(id, req, password, email),
            AccountCommand::ChangePassword {
                current,
                new_password,
            } => self.change_password(id, req, current, new_password),
            AccountCommand::DeleteAccount { password } => self.delete_account(id, req, password),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_age_with_the_calendar() {
        let account = StoredAccount {
            id: 1,
            nick: "Zoe".into(),
            nick_key: "zoe".into(),
            password_hash: String::new(),
            email: None,
            age: 16,
            gender: "femme".into(),
            department: "75".into(),
            created_at_ms: 1_000_000,
            last_login_ms: None,
        };
        assert_eq!(age_now(&account, 1_000_000), 16);
        assert_eq!(age_now(&account, 1_000_000 + YEAR_MS - 1), 16);
        assert_eq!(age_now(&account, 1_000_000 + 2 * YEAR_MS), 18);
        assert_eq!(age_now(&account, 0), 16, "a clock set back changes nothing");
    }

    #[test]
    fn genders_round_trip_through_their_stored_names() {
        for gender in [Gender::Homme, Gender::Femme, Gender::Autre] {
            assert_eq!(gender_from_name(gender_name(gender)), Some(gender));
        }
        assert_eq!(gender_from_name("robot"), None);
    }
}
