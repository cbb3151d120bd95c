//! Identity: rows with the same contact are one profile; contacts on one row are linked.
//!
//! The rules are Omnidesk's import rules (`shared/specs/omnidesk.md`, "Import rules"),
//! which users already know: the first row with a contact creates its profile, later rows
//! update it (the last non-empty name or comment wins, tags are united); a row with an
//! e-mail and a phone makes two profiles linked together, and links are transitive.

use rustc_hash::FxHashMap;

use crate::domain::{ContactKey, Messenger, Row, Tags, Warning};

/// Clusters larger than this get a warning on each of their rows (a shared office phone
/// links many people into one giant profile).
pub const DEFAULT_CLUSTER_LIMIT: usize = 5;

/// One person's contact in the target: what the rows say about it, merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub key: ContactKey,
    /// The spreadsheet row that created it.
    pub first_row: u32,
    pub name: Option<Box<str>>,
    pub comment: Option<Box<str>>,
    pub company: Option<Box<str>>,
    pub position: Option<Box<str>>,
    pub tags: Tags,
    pub channel: Option<Box<str>>,
    pub messenger: Option<Messenger>,
}

impl Profile {
    fn new(key: ContactKey, first_row: u32) -> Profile {
        Profile {
            key,
            first_row,
            name: None,
            comment: None,
            company: None,
            position: None,
            tags: Tags::default(),
            channel: None,
            messenger: None,
        }
    }

    /// Applies a row: the last non-empty value wins, tags are united.
    fn apply(&mut self, row: &Row) {
        fn last_wins<T: Clone>(slot: &mut Option<T>, value: &Option<T>) {
            if value.is_some() {
                slot.clone_from(value);
            }
        }
        last_wins(&mut self.name, &row.name);
        last_wins(&mut self.comment, &row.comment);
        last_wins(&mut self.company, &row.company);
        last_wins(&mut self.position, &row.position);
        last_wins(&mut self.channel, &row.channel);
        last_wins(&mut self.messenger, &row.messenger);
        self.tags.union(&row.tags);
    }
}

/// Where a valid row went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The row created at least one profile; `profile` is its first contact's.
    Created { profile: u32 },
    /// Every contact of the row already had a profile; `into_row` created the first one.
    Merged { profile: u32, into_row: u32 },
}

impl Placement {
    pub fn profile(&self) -> u32 {
        match *self {
            Placement::Created { profile } | Placement::Merged { profile, .. } => profile,
        }
    }
}

/// Profiles as rows arrive, with a union-find over links.
#[derive(Debug, Default)]
pub struct Identity {
    profiles: Vec<Profile>,
    by_key: FxHashMap<ContactKey, u32>,
    parent: Vec<u32>,
}

impl Identity {
    pub fn new() -> Identity {
        Identity::default()
    }

    /// Places a valid row, numbered as the spreadsheet numbers it.
    pub fn add(&mut self, row_number: u32, row: &Row) -> Placement {
        let mut first: Option<(u32, bool)> = None;
        for contact in &row.contacts {
            let key = contact.key();
            let (id, created) = match self.by_key.get(&key) {
                Some(&id) => (id, false),
                None => {
                    let id = u32::try_from(self.profiles.len()).expect("fewer than 2^32 profiles");
                    self.profiles.push(Profile::new(key.clone(), row_number));
                    self.parent.push(id);
                    self.by_key.insert(key, id);
                    (id, true)
                }
            };
            self.profiles[id as usize].apply(row);
            match first {
                None => first = Some((id, created)),
                Some((head, any_created)) => {
                    self.union(head, id);
                    first = Some((head, any_created || created));
                }
            }
        }
        let (profile, created) = first.expect("a valid row has a contact");
        if created {
            Placement::Created { profile }
        } else {
            Placement::Merged {
                profile,
                into_row: self.profiles[profile as usize].first_row,
            }
        }
    }

    fn find(&mut self, mut id: u32) -> u32 {
        while self.parent[id as usize] != id {
            let grandparent = self.parent[self.parent[id as usize] as usize];
            self.parent[id as usize] = grandparent;
            id = grandparent;
        }
        id
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            // The older profile stays the root, so a cluster is named by its first contact.
            let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[child as usize] = root;
        }
    }

    /// Ends the intake: profiles are final and clusters known.
    pub fn finish(mut self) -> Profiles {
        let n = self.profiles.len();
        let mut cluster_of = Vec::with_capacity(n);
        let mut size: FxHashMap<u32, u32> = FxHashMap::default();
        for id in 0..n as u32 {
            let root = self.find(id);
            cluster_of.push(root);
            *size.entry(root).or_default() += 1;
        }
        let mut members: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for (id, root) in cluster_of.iter().enumerate() {
            if size[root] > 1 {
                members.entry(*root).or_default().push(id as u32);
            }
        }
        Profiles {
            profiles: self.profiles,
            cluster_of,
            members,
        }
    }
}

/// The final profiles and how they are linked.
#[derive(Debug)]
pub struct Profiles {
    profiles: Vec<Profile>,
    /// For each profile, its cluster's root (the cluster's oldest profile).
    cluster_of: Vec<u32>,
    /// Members of clusters with more than one profile, in creation order.
    members: FxHashMap<u32, Vec<u32>>,
}

impl Profiles {
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    pub fn get(&self, id: u32) -> &Profile {
        &self.profiles[id as usize]
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &Profile)> {
        self.profiles.iter().enumerate().map(|(i, p)| (i as u32, p))
    }

    /// The profiles linked with `id` (itself included), oldest first; a lone profile is
    /// its own cluster.
    pub fn cluster(&self, id: u32) -> &[u32] {
        let root = self.cluster_of[id as usize];
        match self.members.get(&root) {
            Some(members) => members,
            None => std::slice::from_ref(&self.cluster_of[id as usize]),
        }
    }

    /// The profile `id` is linked to in the target, if it is not its cluster's root: links
    /// are transitive, so one link per extra profile joins a cluster.
    pub fn link_target(&self, id: u32) -> Option<u32> {
        let root = self.cluster_of[id as usize];
        (root != id).then_some(root)
    }

    /// Link operations needed: one per profile that is not its cluster's root.
    pub fn links(&self) -> usize {
        self.members.values().map(|m| m.len() - 1).sum()
    }

    /// A warning for rows whose cluster is larger than `limit`.
    pub fn cluster_warning(&self, id: u32, limit: usize) -> Option<Warning> {
        let size = self.cluster(id).len();
        (size > limit).then_some(Warning::LargeCluster { profiles: size })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RawRow, Region};

    fn row(contact: &str, email: &str, name: &str, tags: &str) -> Row {
        Row::parse(
            &RawRow {
                contact,
                email,
                name,
                tags,
                ..Default::default()
            },
            Region::default(),
        )
        .unwrap()
        .0
    }

    #[test]
    fn the_first_row_creates_and_later_rows_merge() {
        let mut identity = Identity::new();
        let a = identity.add(2, &row("89991234567", "", "Анна", "vip"));
        let b = identity.add(3, &row("+7 999 123-45-67", "", "", "вебинар"));
        let c = identity.add(4, &row("8 (999) 123 45 67", "", "Анна Петрова", ""));
        assert_eq!(a, Placement::Created { profile: 0 });
        assert_eq!(
            b,
            Placement::Merged {
                profile: 0,
                into_row: 2
            }
        );
        assert_eq!(
            c,
            Placement::Merged {
                profile: 0,
                into_row: 2
            }
        );
        let profiles = identity.finish();
        assert_eq!(profiles.len(), 1);
        let p = profiles.get(0);
        assert_eq!(p.name.as_deref(), Some("Анна Петрова"));
        assert_eq!(p.tags.iter().collect::<Vec<_>>(), ["vip", "вебинар"]);
    }

    #[test]
    fn a_phone_and_an_email_on_one_row_are_linked_transitively() {
        let mut identity = Identity::new();
        identity.add(2, &row("89991234567", "anna@mail.ru", "", ""));
        identity.add(3, &row("anna@mail.ru", "", "", ""));
        identity.add(4, &row("89997654321", "ANNA@mail.ru", "", ""));
        identity.add(5, &row("petr@mail.ru", "", "", ""));
        let profiles = identity.finish();
        assert_eq!(profiles.len(), 4);
        assert_eq!(profiles.cluster(0), [0, 1, 2]);
        assert_eq!(profiles.cluster(2), [0, 1, 2]);
        assert_eq!(profiles.cluster(3), [3]);
        assert_eq!(profiles.links(), 2);
        assert_eq!(profiles.link_target(2), Some(0));
        assert_eq!(profiles.link_target(0), None);
    }

    #[test]
    fn large_clusters_are_flagged() {
        let mut identity = Identity::new();
        for (i, email) in ["a@x.ru", "b@x.ru", "c@x.ru", "d@x.ru", "e@x.ru", "f@x.ru"]
            .iter()
            .enumerate()
        {
            identity.add(i as u32 + 2, &row("84951234567", email, "", ""));
        }
        let profiles = identity.finish();
        assert_eq!(profiles.cluster(0).len(), 7);
        assert_eq!(
            profiles.cluster_warning(3, DEFAULT_CLUSTER_LIMIT),
            Some(Warning::LargeCluster { profiles: 7 })
        );
        assert_eq!(profiles.cluster_warning(3, 7), None);
    }
}
