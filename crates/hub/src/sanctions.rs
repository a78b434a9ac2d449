//! Sanctions: the mutes and bans in force, whom each binds (by nickname,
//! by address), the mutes of the people online, and how a staff member's
//! sanction is applied — at once, with its statement of reasons — and then
//! recorded (by the staff writer, see `staff.rs`).
//!
//! A mute is a fact of the one safety decision (see `speech.rs`); a kick or
//! a ban closes the connection after the statement; a ban is checked at
//! entry. An address sanction binds everyone on the address in both bands,
//! but tells the others there only that their address is restricted. At
//! start the hub reads back the mutes and bans still in force.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use tchatche_protocol::{
    ErrorCode, Event, Sanction, SanctionId, SanctionKind, SanctionNotice, StaffRole, UserId,
};
use tchatche_store::{AuditEntry, StoredSanction};

use crate::effects::Effect;
use crate::ids::now_ms;
use crate::staff::StaffWrite;
use crate::state::{Hub, Outcome, refuse, refuse_verdict};

/// Longest reason staff may give, in characters.
const MAX_REASON_CHARS: usize = 500;
/// Longest timed sanction: ten years (longer is a ban for good).
const MAX_DURATION_SECS: u32 = 10 * 365 * 24 * 3600;

/// A mute or a ban in force.
pub(crate) struct InForce {
    pub kind: SanctionKind,
    /// The nickname as the person had it, for the audit log.
    pub nick: String,
    pub nick_key: String,
    pub address: Option<IpAddr>,
    pub reason: String,
    /// Milliseconds since the Unix epoch; `None`: for good.
    pub until_ms: Option<u64>,
}

impl InForce {
    fn in_force_at(&self, now_ms: u64) -> bool {
        self.until_ms.is_none_or(|until| until > now_ms)
    }
}

/// Whether a sanction on `nick_key` (and `address`, if any) binds someone
/// with the nickname `their_key`, connected from `their_address` (`None`
/// for staff, whom address sanctions spare: they often share an address
/// with the people they moderate).
fn binds(
    nick_key: &str,
    address: Option<IpAddr>,
    their_key: &str,
    their_address: Option<IpAddr>,
) -> bool {
    nick_key == their_key || (address.is_some() && address == their_address)
}

/// The mutes and bans in force, indexed by the nickname and the address
/// they bind: entry and mute checks cost a lookup or two however many bans
/// accumulate (bans for good never leave).
#[derive(Default)]
pub(crate) struct InForceSet {
    by_id: HashMap<u64, InForce>,
    by_nick: HashMap<String, Vec<u64>>,
    by_address: HashMap<IpAddr, Vec<u64>>,
}

impl InForceSet {
    pub fn insert(&mut self, id: u64, sanction: InForce) {
        self.by_nick
            .entry(sanction.nick_key.clone())
            .or_default()
            .push(id);
        if let Some(address) = sanction.address {
            self.by_address.entry(address).or_default().push(id);
        }
        self.by_id.insert(id, sanction);
    }

    fn remove(&mut self, id: u64) -> Option<InForce> {
        let sanction = self.by_id.remove(&id)?;
        unindex(&mut self.by_nick, &sanction.nick_key, id);
        if let Some(address) = sanction.address {
            unindex(&mut self.by_address, &address, id);
        }
        Some(sanction)
    }

    /// The sanctions of `kind` in force at `now_ms` that bind this
    /// nickname or address (`None` for staff, see [`binds`]).
    fn binding(
        &self,
        kind: SanctionKind,
        nick_key: &str,
        address: Option<IpAddr>,
        now_ms: u64,
    ) -> impl Iterator<Item = &InForce> {
        let by_nick = self.by_nick.get(nick_key).into_iter().flatten();
        let by_address = address
            .and_then(|address| self.by_address.get(&address))
            .into_iter()
            .flatten();
        by_nick
            .chain(by_address)
            .filter_map(|id| self.by_id.get(id))
            .filter(move |sanction| sanction.kind == kind && sanction.in_force_at(now_ms))
    }

    fn forget_ended(&mut self, now_ms: u64) {
        let ended: Vec<u64> = self
            .by_id
            .iter()
            .filter(|(_, sanction)| !sanction.in_force_at(now_ms))
            .map(|(id, _)| *id)
            .collect();
        for id in ended {
            self.remove(id);
        }
    }
}

/// Takes `id` out of the list under `key`, and the list out when empty.
fn unindex<K, Q>(index: &mut HashMap<K, Vec<u64>>, key: &Q, id: u64)
where
    K: std::hash::Hash + Eq + std::borrow::Borrow<Q>,
    Q: std::hash::Hash + Eq + ?Sized,
{
    if let Some(ids) = index.get_mut(key) {
        ids.retain(|other| *other != id);
        if ids.is_empty() {
            index.remove(key);
        }
    }
}

/// A mute on someone online, cached from the sanctions in force so the
/// safety decision costs one lookup.
#[derive(Clone, Copy, Debug)]
struct MuteState {
    /// When the longest mute ends, in milliseconds since the Unix epoch.
    until_ms: u64,
    /// It binds only through the address (someone else's sanction).
    by_address: bool,
}

/// The sanctions part of the hub's state.
#[derive(Default)]
pub(crate) struct Sanctions {
    /// Mutes and bans in force.
    pub in_force: InForceSet,
    /// The mutes of the people online, by session: only those muted.
    mutes: HashMap<UserId, MuteState>,
}

impl Sanctions {
    /// The ban in force on this nickname or address, if any: one on the
    /// nickname first, since its reason is the person's own.
    fn ban_on(&self, nick_key: &str, address: Option<IpAddr>, now_ms: u64) -> Option<&InForce> {
        let mut bans = self
            .in_force
            .binding(SanctionKind::Ban, nick_key, address, now_ms);
        let first = bans.next()?;
        if first.nick_key == nick_key {
            return Some(first);
        }
        Some(bans.find(|ban| ban.nick_key == nick_key).unwrap_or(first))
    }

    /// The mute in force on this nickname or address: when the longest one
    /// ends (milliseconds since the Unix epoch; 0: not muted), and whether
    /// it binds only through the address (no mute of this nickname).
    pub fn mute_on(&self, nick_key: &str, address: Option<IpAddr>, now_ms: u64) -> (u64, bool) {
        let mut until = 0;
        let mut personal = false;
        for mute in self
            .in_force
            .binding(SanctionKind::Mute, nick_key, address, now_ms)
        {
            until = until.max(mute.until_ms.unwrap_or(u64::MAX));
            personal |= mute.nick_key == nick_key;
        }
        (until, until > 0 && !personal)
    }

    /// Forgets the sanctions that ended.
    pub fn forget_ended(&mut self, now_ms: u64) {
        self.in_force.forget_ended(now_ms);
    }

    /// Records a staff action: `reply` goes to its author once `writes`
    /// are stored. Returned when there is nothing to wait for (no store),
    /// to send at once.
    /// The mute on someone online, if any, with how long it still lasts
    /// (the clock is read only for someone muted).
    pub fn mute_of(&self, id: UserId) -> Option<tchatche_safety::Mute> {
        let mute = self.mutes.get(&id)?;
        let now_ms = now_ms();
        (mute.until_ms > now_ms).then(|| tchatche_safety::Mute {
            left: Duration::from_millis(mute.until_ms - now_ms),
            by_address: mute.by_address,
        })
    }

    /// Notes the mute in force on someone online (none: `until_ms` 0).
    pub fn set_mute(&mut self, id: UserId, (until_ms, by_address): (u64, bool)) {
        if until_ms == 0 {
            self.mutes.remove(&id);
        } else {
            self.mutes.insert(
                id,
                MuteState {
                    until_ms,
                    by_address,
                },
            );
        }
    }

    /// Someone left: their cached mute goes (the sanction stays in force).
    pub fn forget_person(&mut self, id: UserId) {
        self.mutes.remove(&id);
    }
}

/// The address sanctions may bind someone by: the session's, unless they
/// are staff (see [`binds`]).
pub(crate) fn sanctionable_address(
    staff: Option<StaffRole>,
    session: &crate::session::Session,
) -> Option<IpAddr> {
    staff.is_none().then(|| session.info.peer.ip())
}

impl Hub {
    /// Entry's check: a guest may not take a staff nickname, and nobody
    /// banned enters. `address` is `None` for staff (see [`binds`]).
    /// `Err` carries the refusal.
    pub(crate) fn entry_sanction_check(
        &self,
        req: Option<u32>,
        nick_key: &str,
        member: bool,
        address: Option<IpAddr>,
    ) -> Outcome {
        if !member && self.settings.staff.contains_key(nick_key) {
            return Err(refuse(req, ErrorCode::NicknameReserved));
        }
        let now = now_ms();
        match self.sanctions.ban_on(nick_key, address, now) {
            Some(ban) => {
                let left = ban
                    .until_ms
                    .map(|until| Duration::from_millis(until.saturating_sub(now)));
                if ban.nick_key == nick_key {
                    Err(refuse_verdict(req, ErrorCode::Banned, left)
                        .with_detail(ban.reason.clone()))
                } else {
                    // Someone else's ban on this address: its reason is
                    // theirs and may name them.
                    Err(refuse_verdict(req, ErrorCode::AddressBanned, left))
                }
            }
            None => Ok(()),
        }
    }

    pub(crate) fn sanction(&mut self, id: UserId, req: Option<u32>, sanction: Sanction) -> Outcome {
        let rank = self.staff_role(id, req)?;
        let invalid = |field: &str| refuse(req, ErrorCode::InvalidField).with_detail(field);
        let reason = sanction.reason.trim().to_owned();
        if reason.is_empty() {
            return Err(refuse(req, ErrorCode::MissingField).with_detail("reason"));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(invalid("reason"));
        }
        let duration = match (sanction.kind, sanction.duration_secs) {
            (SanctionKind::Warning | SanctionKind::Kick, None) | (SanctionKind::Ban, None) => None,
            (SanctionKind::Warning | SanctionKind::Kick, Some(_)) => {
                return Err(invalid("duration_secs"));
            }
            (SanctionKind::Mute, None) => {
                return Err(refuse(req, ErrorCode::MissingField).with_detail("duration_secs"));
            }
            (SanctionKind::Mute | SanctionKind::Ban, Some(secs)) => {
                if secs == 0 || secs > MAX_DURATION_SECS {
                    return Err(invalid("duration_secs"));
                }
                Some(secs)
            }
        };
        let nick_key = tchatche_safety::nickname::nickname_key(sanction.nick.trim());
        let target = self.sessions.nicknames.get(&nick_key).copied();
        let target_role = match target {
            Some(target) => self.person(target, req)?.staff,
            None => self.settings.staff.get(&nick_key).copied(),
        };
        if target_role.is_some_and(|role| role >= rank) {
            return Err(refuse(req, ErrorCode::TargetIsStaff));
        }
        let timed = matches!(sanction.kind, SanctionKind::Mute | SanctionKind::Ban);
        if sanction.address == Some(true) && !timed {
            return Err(invalid("address"));
        }
        let needs_online = !timed || sanction.address == Some(true);
        if target.is_none() && needs_online {
            return Err(refuse(req, ErrorCode::UserNotFound));
        }
        let address = match (target, sanction.address) {
            (Some(target), Some(true)) => self.sessions.get(&target).map(|s| s.info.peer.ip()),
            _ => None,
        };
        let nick = match target {
            Some(target) => self.person(target, req)?.nick.clone(),
            None => sanction.nick.trim().to_owned(),
        };
        let actor = self.person(id, req)?.nick.clone();
        let now = now_ms();
        let sanction_id = self.ids.next(now);
        let until_ms = duration.map(|secs| now + u64::from(secs) * 1000);
        let notice = SanctionNotice {
            id: SanctionId(sanction_id),
            kind: sanction.kind,
            reason: reason.clone(),
            until: until_ms,
            address: false,
            appeal: self.settings.appeal.clone(),
        };
        // What the others on the address read: that their address is
        // restricted, until when and how to appeal; not whom it is about,
        // nor why (staff's words may name the person).
        let address_notice = SanctionNotice {
            reason: String::new(),
            address: true,
            ..notice.clone()
        };
        let target_band = target
            .and_then(|target| self.person(target, req).ok())
            .map(|person| person.band);

        // Apply.
        if timed {
            self.sanctions.in_force.insert(
                sanction_id,
                InForce {
                    kind: sanction.kind,
                    nick: nick.clone(),
                    nick_key: nick_key.clone(),
                    address,
                    reason: reason.clone(),
                    until_ms,
                },
            );
        }
        let bound = self.sessions_bound(&nick_key, address);
        for &(person_id, personally) in &bound {
            let statement = if personally { &notice } else { &address_notice };
            self.send(person_id, Event::Sanctioned(statement.clone()));
            match sanction.kind {
                SanctionKind::Warning => {}
                SanctionKind::Mute => self.refresh_mute(person_id, now),
                SanctionKind::Kick | SanctionKind::Ban => {
                    let reason = match (sanction.kind, personally) {
                        (SanctionKind::Ban, true) => ErrorCode::Banned,
                        (SanctionKind::Ban, false) => ErrorCode::AddressBanned,
                        _ => ErrorCode::Kicked,
                    };
                    self.effects.push(Effect::Close {
                        id: person_id,
                        reason,
                        after_queued: true,
                    });
                }
            }
        }

        // Record.
        let address_text = address.map(|address| address.to_string());
        let stored_sanction = StaffWrite::Sanction(StoredSanction {
            id: sanction_id,
            kind: sanction.kind.as_str().to_owned(),
            nick: nick.clone(),
            nick_key,
            address: address_text.clone(),
            reason: reason.clone(),
            by_nick: actor.clone(),
            created_at_ms: now,
            expires_at_ms: until_ms,
            lifted_at_ms: None,
        });
        let mut detail = format!("sanction {sanction_id}");
        if let Some(secs) = duration {
            detail.push_str(&format!("; {secs} s"));
        } else if sanction.kind == SanctionKind::Ban {
            detail.push_str("; for good");
        }
        if let Some(address) = &address_text {
            detail.push_str(&format!("; address {address}"));
        }
        // Staff act on both bands; the log says when they acted on a teen.
        if let Some(band) = target_band {
            detail.push_str(&format!("; band {}", band.as_str()));
        }
        detail.push_str(&format!("; reason: {reason}"));
        let audit_entry = StaffWrite::Audit(AuditEntry {
            at_ms: now,
            actor: actor.clone(),
            action: format!("sanction.{}", sanction.kind.as_str()),
            subject: nick.clone(),
            detail,
        });
        tracing::info!(
            staff = %actor,
            target = %nick,
            kind = sanction.kind.as_str(),
            id = sanction_id,
            online = !bound.is_empty(),
            "sanction"
        );
        let recorded = Event::SanctionRecorded {
            req,
            id: SanctionId(sanction_id),
            online: !bound.is_empty(),
        };
        if let Some((to, event)) = self
            .staff
            .record(vec![stored_sanction, audit_entry], (id, recorded))
        {
            self.send(to, event);
        }
        Ok(())
    }

    pub(crate) fn lift_sanction(
        &mut self,
        id: UserId,
        req: Option<u32>,
        SanctionId(sanction_id): SanctionId,
    ) -> Outcome {
        self.staff_role(id, req)?;
        let now = now_ms();
        let Some(lifted) = self
            .sanctions
            .in_force
            .remove(sanction_id)
            .filter(|sanction| sanction.in_force_at(now))
        else {
            return Err(refuse(req, ErrorCode::SanctionNotFound));
        };
        for (person_id, _) in self.sessions_bound(&lifted.nick_key, lifted.address) {
            self.refresh_mute(person_id, now);
        }
        let actor = self.person(id, req)?.nick.clone();
        let writes = vec![
            StaffWrite::Lift {
                id: sanction_id,
                at_ms: now,
            },
            StaffWrite::Audit(AuditEntry {
                at_ms: now,
                actor: actor.clone(),
                action: format!("lift.{}", lifted.kind.as_str()),
                subject: lifted.nick.clone(),
                detail: format!("sanction {sanction_id}"),
            }),
        ];
        tracing::info!(staff = %actor, id = sanction_id, "sanction lifted");
        if let Some((to, event)) = self.staff.record(writes, (id, Event::Ok { req })) {
            self.send(to, event);
        }
        Ok(())
    }

    /// The people online whom a sanction on `nick_key` (and `address`)
    /// binds, each with whether it binds them personally (by their
    /// nickname) rather than through their address only.
    fn sessions_bound(&self, nick_key: &str, address: Option<IpAddr>) -> Vec<(UserId, bool)> {
        self.sessions
            .by_id
            .iter()
            .filter_map(|(id, session)| {
                let person = session.person.as_ref()?;
                binds(
                    nick_key,
                    address,
                    &person.nick_key,
                    sanctionable_address(person.staff, session),
                )
                .then(|| (*id, person.nick_key == nick_key))
            })
            .collect()
    }

    /// Sets a person's cached mute from the sanctions in force.
    pub(crate) fn refresh_mute(&mut self, id: UserId, now_ms: u64) {
        let Some(session) = self.sessions.get(&id) else {
            return;
        };
        let Some(person) = &session.person else {
            return;
        };
        let mute = self.sanctions.mute_on(
            &person.nick_key,
            sanctionable_address(person.staff, session),
            now_ms,
        );
        self.sanctions.set_mute(id, mute);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sanction(
        kind: SanctionKind,
        nick_key: &str,
        address: Option<IpAddr>,
        until_ms: Option<u64>,
    ) -> InForce {
        InForce {
            kind,
            nick: nick_key.to_owned(),
            nick_key: nick_key.to_owned(),
            address,
            reason: "test".to_owned(),
            until_ms,
        }
    }

    /// `nick_key:until` of each sanction found, sorted.
    fn found<'a>(sanctions: impl Iterator<Item = &'a InForce>) -> Vec<String> {
        let mut found: Vec<String> = sanctions
            .map(|s| format!("{}:{:?}", s.nick_key, s.until_ms))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn sanctions_are_found_by_nickname_or_address_and_only_while_in_force() {
        let troll: IpAddr = [192, 0, 2, 7].into();
        let other: IpAddr = [192, 0, 2, 8].into();
        let mut set = InForceSet::default();
        set.insert(1, sanction(SanctionKind::Ban, "troll", Some(troll), None));
        set.insert(2, sanction(SanctionKind::Mute, "troll", None, Some(5_000)));
        set.insert(3, sanction(SanctionKind::Ban, "spam", None, Some(2_000)));

        // By nickname, by address, by neither; the kind is respected.
        assert_eq!(
            found(set.binding(SanctionKind::Ban, "troll", Some(other), 0)),
            ["troll:None"]
        );
        assert_eq!(
            found(set.binding(SanctionKind::Ban, "alias", Some(troll), 0)),
            ["troll:None"]
        );
        assert!(
            set.binding(SanctionKind::Ban, "alias", Some(other), 0)
                .next()
                .is_none()
        );
        // Staff (no address) are bound only by their nickname.
        assert!(
            set.binding(SanctionKind::Ban, "alias", None, 0)
                .next()
                .is_none()
        );
        assert_eq!(
            found(set.binding(SanctionKind::Mute, "troll", None, 0)),
            ["troll:Some(5000)"]
        );

        // Ended sanctions no longer bind, and are forgotten.
        assert_eq!(
            set.binding(SanctionKind::Ban, "spam", None, 1_999).count(),
            1
        );
        assert_eq!(
            set.binding(SanctionKind::Ban, "spam", None, 2_000).count(),
            0
        );
        set.forget_ended(3_000);
        assert!(!set.by_id.contains_key(&3) && !set.by_nick.contains_key("spam"));
        assert!(set.by_id.contains_key(&1) && set.by_id.contains_key(&2));

        // Removing one leaves the others indexed, and empties what it leaves empty.
        assert!(set.remove(1).is_some());
        assert!(set.remove(1).is_none());
        assert!(set.by_address.is_empty());
        assert_eq!(set.by_nick.get("troll").map(Vec::as_slice), Some(&[2][..]));
        assert!(
            set.binding(SanctionKind::Ban, "troll", Some(troll), 0)
                .next()
                .is_none()
        );
    }
}
