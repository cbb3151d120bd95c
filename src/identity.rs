//! Identity: rows with the same contact are one profile; contacts on one row are linked.
//!
//! The rules are Omnidesk's import rules (`shared/specs/omnidesk.md`, "Import rules"),
//! which users already know: the first row with a contact creates its profile, later rows
//! update it (the last non-empty name or comment wins, tags are united); a row with an
//! e-mail and a phone makes two profiles linked together, and links are transitive.

use hashbrown::HashTable;
use rustc_hash::FxHashMap;

use crate::domain::{Contact, ContactKey, Messenger, Row, Tags, Warning};

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
    /// Fields few rows fill, boxed: a million profiles stay small without them.
    pub details: Option<Box<Details>>,
    /// Its tags, as a set of `TagSets` (`Profiles::tags` lists them).
    tags: u32,
    /// Rows with different names gave it: perhaps a shared office phone.
    shared: bool,
    /// Its name's `Words`, to tell most different names apart without reading them.
    words: Words,
}

/// The fields of a profile that most lists leave empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    pub company: Option<Box<str>>,
    pub position: Option<Box<str>>,
    pub channel: Option<Box<str>>,
    pub messenger: Option<Messenger>,
    /// Cells of columns the input did not understand (`Row::extra`): the last non-empty
    /// one of each column wins.
    pub extra: Vec<(u16, Box<str>)>,
}

impl Profile {
    fn new(key: ContactKey, first_row: u32) -> Profile {
        Profile {
            key,
            first_row,
            name: None,
            comment: None,
            details: None,
            tags: EMPTY_SET,
            shared: false,
            words: Words::default(),
        }
    }

    /// Whether rows with different names gave this contact (`same_person` says which names
    /// are one person's).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    pub fn has_tags(&self) -> bool {
        self.tags != EMPTY_SET
    }

    pub fn channel(&self) -> Option<&str> {
        self.details.as_ref()?.channel.as_deref()
    }

    pub fn messenger(&self) -> Option<&Messenger> {
        self.details.as_ref()?.messenger.as_ref()
    }

    /// Applies a row whose tags are the set `tags` and whose name's words are `words`: the
    /// last non-empty value wins, tags are united. With `take`, the row's values are moved
    /// rather than copied (its last use), and the values they replace go into the row, to
    /// be freed with it.
    fn apply(&mut self, row: &mut Row, tags: u32, words: Words, sets: &mut TagSets, take: bool) {
        fn last_wins<T: Clone>(slot: &mut Option<T>, value: &mut Option<T>, take: bool) {
            if value.is_some() {
                if take {
                    std::mem::swap(slot, value);
                } else {
                    *slot = value.clone();
                }
            }
        }
        if let (Some(new), Some(old)) = (&row.name, &self.name)
            && !(words.may_be_one_person(self.words) && same_person(new, old))
        {
            self.shared = true;
        }
        if row.name.is_some() {
            self.words = words;
        }
        last_wins(&mut self.name, &mut row.name, take);
        last_wins(&mut self.comment, &mut row.comment, take);
        if row.company.is_some()
            || row.position.is_some()
            || row.channel.is_some()
            || row.messenger.is_some()
            || !row.extra.is_empty()
        {
            let details = self.details.get_or_insert_with(Box::default);
            last_wins(&mut details.company, &mut row.company, take);
            last_wins(&mut details.position, &mut row.position, take);
            last_wins(&mut details.channel, &mut row.channel, take);
            last_wins(&mut details.messenger, &mut row.messenger, take);
            for (column, value) in &row.extra {
                match details.extra.iter_mut().find(|(c, _)| c == column) {
                    Some((_, slot)) => *slot = value.clone(),
                    None => details.extra.push((*column, value.clone())),
                }
            }
        }
        self.tags = sets.union(self.tags, tags);
    }
}

/// Two names of one person: the words of one (ignoring case) all in the other — «Анна»,
/// «Анна Петрова» and «Анна Петровна Петрова» are one person, «Анна» and «Борис» two.
///
/// Called on the placing thread, the serial part of `check`, for every merged row whose
/// name differs: the words are compared where they lie, without lower-cased copies (which
/// were 7% of `check`'s CPU on a list with 30% repeats).
fn same_person(a: &str, b: &str) -> bool {
    // Most merged rows repeat the name as it was: no words to compare.
    if a == b {
        return true;
    }
    let (short, long) = if a.split_whitespace().count() <= b.split_whitespace().count() {
        (a, b)
    } else {
        (b, a)
    };
    short
        .split_whitespace()
        .all(|w| long.split_whitespace().any(|v| same_word(w, v)))
}

/// `a.to_lowercase() == b.to_lowercase()`, without allocating in the usual cases.
fn same_word(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    // Different first letters, different words: most pairs end here.
    if a.chars().next().map(first_lower) != b.chars().next().map(first_lower) {
        return false;
    }
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    // `str::to_lowercase` is `char::to_lowercase` of each character except `Σ`, which
    // becomes `ς` or `σ` by its place in the word: such words take the long way.
    if a.contains('Σ') || b.contains('Σ') {
        return a.to_lowercase() == b.to_lowercase();
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

/// A name's words as bits: each word sets the bit its first character in lower case picks.
/// The words of one person's two names (`same_person`) are in one another, and so are
/// their bits; two names whose bits are not are two people. Most merged rows with another
/// name are another person, and this tells them apart on the placing thread with one test
/// instead of `same_person`'s comparisons of words, character by character in lower case
/// (a tenth of `check`'s instructions on a list with 30% repeats); the bits are found on
/// the thread that parsed the row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Words(u32);

impl Words {
    /// The bits of a name as `text::clean_cut` leaves it: words between single spaces, or
    /// line breaks (a name cut to its limit is cleaned as `Unbounded`, which keeps them).
    /// The separators found by `memchr` (SIMD), and only each word's first character decoded.
    fn of(name: &str) -> Words {
        let starts = std::iter::once(0)
            .chain(memchr::memchr2_iter(b' ', b'\n', name.as_bytes()).map(|i| i + 1));
        let mut bits = 0u32;
        for start in starts {
            // After a separator: a character boundary.
            if let Some(first) = name.get(start..).and_then(|w| w.chars().next())
                && first != ' '
                && first != '\n'
            {
                bits |= 1 << (u32::from(first_lower(first)).wrapping_mul(0x9E37_79B9) >> 27);
            }
        }
        Words(bits)
    }

    /// False only when `same_person` of the two names is false.
    fn may_be_one_person(self, other: Words) -> bool {
        self.0 & !other.0 == 0 || other.0 & !self.0 == 0
    }
}

/// The first character of `c.to_lowercase()`, which is that of `str::to_lowercase` for a
/// word starting with `c` (a final `ς` is never first). Latin and Cyrillic capitals, which
/// nearly every name starts with, by their offsets: `char::to_lowercase` looks each up in
/// a table of 1,400 ranges (`first_lower_is_the_standard_library_s` checks every one).
fn first_lower(c: char) -> char {
    match c {
        'A'..='Z' => c.to_ascii_lowercase(),
        'А'..='Я' => char::from_u32(u32::from(c) + 0x20).unwrap_or(c),
        'Ѐ'..='Џ' => char::from_u32(u32::from(c) + 0x50).unwrap_or(c),
        'a'..='z' | 'а'..='я' | 'ѐ'..='џ' => c,
        _ => c.to_lowercase().next().unwrap_or(c),
    }
}

/// The set with no tags.
const EMPTY_SET: u32 = 0;

/// Tag labels and the sets of them profiles hold, each stored once: a list has few distinct
/// labels, and few distinct sets of them, however many rows it has.
#[derive(Debug)]
struct TagSets {
    labels: Vec<Box<str>>,
    /// A label as written → its id.
    by_label: FxHashMap<Box<str>, u32>,
    /// A row's tags, joined (`Tags::joined`), and their set: most rows repeat a few cells.
    /// Hashed by `Hashes::of` on the thread that parsed the row.
    by_joined: HashTable<(Box<str>, u32)>,
    /// A label in lower case → the id of its first spelling (`VIP` and `vip` are one tag).
    by_folded: FxHashMap<Box<str>, u32>,
    /// Label ids of each set, in the order first written; set 0 is empty.
    sets: Vec<Box<[u32]>>,
    by_members: FxHashMap<Box<[u32]>, u32>,
    unions: FxHashMap<(u32, u32), u32>,
}

impl Default for TagSets {
    fn default() -> Self {
        let empty: Box<[u32]> = Box::new([]);
        TagSets {
            labels: Vec::new(),
            by_label: FxHashMap::default(),
            by_joined: HashTable::new(),
            by_folded: FxHashMap::default(),
            sets: vec![empty.clone()],
            by_members: FxHashMap::from_iter([(empty, EMPTY_SET)]),
            unions: FxHashMap::default(),
        }
    }
}

impl TagSets {
    fn label(&mut self, label: &str) -> u32 {
        if let Some(&id) = self.by_label.get(label) {
            return id;
        }
        let folded = label.to_lowercase();
        let id = match self.by_folded.get(folded.as_str()) {
            Some(&id) => id,
            None => {
                let id = self.labels.len() as u32;
                self.labels.push(label.into());
                self.by_folded.insert(folded.into(), id);
                id
            }
        };
        self.by_label.insert(label.into(), id);
        id
    }

    fn set(&mut self, members: &[u32]) -> u32 {
        if let Some(&set) = self.by_members.get(members) {
            return set;
        }
        let set = self.sets.len() as u32;
        self.sets.push(members.into());
        self.by_members.insert(members.into(), set);
        set
    }

    /// The set of a row's tags; `hash` is `tags_hash(tags)`.
    fn of(&mut self, tags: &Tags, hash: u64) -> u32 {
        if tags.is_empty() {
            return EMPTY_SET;
        }
        let joined = tags.joined();
        if let Some(&(_, set)) = self.by_joined.find(hash, |(j, _)| **j == *joined) {
            return set;
        }
        let mut members: Vec<u32> = Vec::new();
        for label in tags.iter() {
            let id = self.label(label);
            if !members.contains(&id) {
                members.push(id);
            }
        }
        let set = self.set(&members);
        self.by_joined
            .insert_unique(hash, (joined.into(), set), |(j, _)| tags_hash_of(j));
        set
    }

    /// `a` with the members of `b` it lacks added at the end.
    fn union(&mut self, a: u32, b: u32) -> u32 {
        if a == b || b == EMPTY_SET {
            return a;
        }
        if a == EMPTY_SET {
            return b;
        }
        if let Some(&set) = self.unions.get(&(a, b)) {
            return set;
        }
        let mut members = self.sets[a as usize].to_vec();
        for id in self.sets[b as usize].iter() {
            if !members.contains(id) {
                members.push(*id);
            }
        }
        let set = self.set(&members);
        self.unions.insert((a, b), set);
        set
    }

    fn labels(&self, set: u32) -> impl Iterator<Item = &str> {
        self.sets[set as usize]
            .iter()
            .map(|&id| &*self.labels[id as usize])
    }
}

/// A key as the index hashes and compares it, borrowed from a profile's key or from a
/// row's contact: a contact is looked up without building its key.
#[derive(Hash, PartialEq, Eq)]
enum KeyRef<'a> {
    Phone(u64),
    Email(&'a str),
    Messenger(&'a str),
}

impl KeyRef<'_> {
    fn of_key(key: &ContactKey) -> KeyRef<'_> {
        match key {
            ContactKey::Phone(digits) => KeyRef::Phone(*digits),
            ContactKey::Email(address) => KeyRef::Email(address),
            ContactKey::Messenger(id) => KeyRef::Messenger(id),
        }
    }

    /// The same as `of_key(&contact.key())`.
    fn of_contact(contact: &Contact) -> KeyRef<'_> {
        match contact {
            Contact::Phone(phone) => KeyRef::Phone(phone.key()),
            Contact::Email(email) => KeyRef::Email(email.key()),
            Contact::Messenger(id) => KeyRef::Messenger(id.as_str()),
        }
    }

    fn hash(&self) -> u64 {
        use std::hash::BuildHasher;
        rustc_hash::FxBuildHasher.hash_one(self)
    }
}

/// The hashes `Identity` looks a row up by: its contacts' keys and its tags. `check` has
/// the threads that parse rows compute them, so that the thread that places rows, the one
/// part of `check` that cannot be shared between cores, does not.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Hashes {
    /// Of the first `MAX_HASHED` contacts; any further one is hashed when placed.
    contacts: [u64; MAX_HASHED],
    tags: u64,
    /// The name's.
    words: Words,
}

/// A row has at most one contact in each of four columns.
const MAX_HASHED: usize = 4;

impl Hashes {
    pub(crate) fn of(row: &Row) -> Hashes {
        let mut hashes = Hashes {
            tags: tags_hash_of(row.tags.joined()),
            words: row.name.as_deref().map(Words::of).unwrap_or_default(),
            ..Hashes::default()
        };
        for (hash, contact) in hashes.contacts.iter_mut().zip(&row.contacts) {
            *hash = KeyRef::of_contact(contact).hash();
        }
        hashes
    }

    fn contact(&self, i: usize, contact: &Contact) -> u64 {
        match self.contacts.get(i) {
            Some(&hash) => hash,
            None => KeyRef::of_contact(contact).hash(),
        }
    }
}

fn tags_hash_of(joined: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(joined)
}

/// 32 bits of a key's hash (`KeyRef::hash`), kept in the index beside the profile's
/// number; the index hashes by them alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored(u32);

impl Stored {
    fn of(hash: u64) -> Stored {
        Stored((hash ^ (hash >> 32)) as u32)
    }

    /// The hash the table places by: the table takes a bucket from the low bits and a tag
    /// from the top seven, so the 32 bits are spread over all 64.
    fn hash(self) -> u64 {
        u64::from(self.0).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
}

/// A new profile's key, from the row's contact: an e-mail's is moved out of it.
fn take_key(contact: &mut Contact) -> ContactKey {
    match contact {
        Contact::Phone(phone) => ContactKey::Phone(phone.key()),
        Contact::Email(email) => ContactKey::Email(email.take_key()),
        // Few lists have them: copied.
        Contact::Messenger(id) => ContactKey::Messenger(id.as_str().into()),
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
#[derive(Default)]
pub struct Identity {
    profiles: Vec<Profile>,
    /// Profiles by key. A table of indices hashed by `profiles[i].key`, so that a million
    /// keys are stored once, in the profiles; with each, 32 bits of its key's hash
    /// (`Stored`), so that growing the table and a probe that meets another key do not
    /// read a profile (a cache miss each: a million profiles are 70 MB).
    by_key: HashTable<(u32, Stored)>,
    parent: Vec<u32>,
    /// The links rows made: (the row's first contact, another of its contacts).
    edges: Vec<(u32, u32)>,
    tag_sets: TagSets,
    /// E-mails as the rows wrote them, where that is not the key; kept only when asked
    /// (`keeping_spellings`): most lists hold many, and only a target that tells case apart
    /// needs them.
    spellings: Option<FxHashMap<u32, Box<str>>>,
}

impl Identity {
    pub fn new() -> Identity {
        Identity::default()
    }

    /// An `Identity` that keeps, for each e-mail profile, the first spelling of it that
    /// differs from its key (`Profiles::spelling`).
    pub fn keeping_spellings() -> Identity {
        Identity {
            spellings: Some(FxHashMap::default()),
            ..Identity::default()
        }
    }

    /// Places a valid row, numbered as the spreadsheet numbers it.
    pub fn add(&mut self, row_number: u32, mut row: Row) -> Placement {
        let hashes = Hashes::of(&row);
        self.add_from(row_number, &mut row, &hashes)
    }

    /// `add`, taking from the row only what the profiles keep: the rest (its vector of
    /// contacts, its tags, the values a merge replaces) stays in it, for the caller to free.
    /// `check` has the thread that parsed the row free it, which is where glibc's `free` is
    /// quick; here it would wait for that thread's arena lock, a million times.
    /// `hashes` are `Hashes::of(row)`.
    pub(crate) fn add_from(
        &mut self,
        row_number: u32,
        row: &mut Row,
        hashes: &Hashes,
    ) -> Placement {
        let tags = self.tag_sets.of(&row.tags, hashes.tags);
        let mut first: Option<(u32, bool)> = None;
        let mut contacts = std::mem::take(&mut row.contacts);
        let count = contacts.len();
        for (i, contact) in contacts.iter_mut().enumerate() {
            let stored = Stored::of(hashes.contact(i, contact));
            let wanted = KeyRef::of_contact(contact);
            let profiles = &self.profiles;
            let found = self
                .by_key
                .find(stored.hash(), |&(id, s)| {
                    s == stored && KeyRef::of_key(&profiles[id as usize].key) == wanted
                })
                .copied();
            if let (Some(spellings), Contact::Email(email)) = (&mut self.spellings, &*contact)
                && email.address() != email.key()
            {
                let id = found.map_or(self.profiles.len() as u32, |(id, _)| id);
                spellings
                    .entry(id)
                    .or_insert_with(|| email.address().into());
            }
            let (id, created) = match found {
                Some((id, _)) => (id, false),
                None => {
                    let id = u32::try_from(self.profiles.len()).expect("fewer than 2^32 profiles");
                    self.profiles
                        .push(Profile::new(take_key(contact), row_number));
                    self.parent.push(id);
                    self.by_key
                        .insert_unique(stored.hash(), (id, stored), |&(_, s)| s.hash());
                    (id, true)
                }
            };
            let last = i + 1 == count;
            self.profiles[id as usize].apply(row, tags, hashes.words, &mut self.tag_sets, last);
            match first {
                None => first = Some((id, created)),
                Some((head, any_created)) => {
                    self.union(head, id);
                    if head != id {
                        self.edges.push((head, id));
                    }
                    first = Some((head, any_created || created));
                }
            }
        }
        row.contacts = contacts;
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
        // The key index is done with: free it before the cluster tables are built.
        self.by_key = HashTable::new();
        let n = self.profiles.len();
        for id in 0..n as u32 {
            let root = self.find(id);
            self.parent[id as usize] = root;
        }
        let cluster_of = std::mem::take(&mut self.parent);
        let mut size = vec![0u32; n];
        for &root in &cluster_of {
            size[root as usize] += 1;
        }
        let mut members: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for (id, &root) in cluster_of.iter().enumerate() {
            if size[root as usize] > 1 {
                members.entry(root).or_default().push(id as u32);
            }
        }
        Profiles {
            profiles: self.profiles,
            cluster_of,
            members,
            edges: self.edges,
            tag_sets: self.tag_sets,
            spellings: self.spellings.unwrap_or_default(),
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
    /// The links rows made.
    edges: Vec<(u32, u32)>,
    tag_sets: TagSets,
    spellings: FxHashMap<u32, Box<str>>,
}

impl Profiles {
    /// An e-mail profile's address as the rows first wrote it, when that differs from its
    /// key (`Ivan@Mail.ru` for `ivan@mail.ru`); only from an `Identity::keeping_spellings`.
    pub fn spelling(&self, id: u32) -> Option<&str> {
        self.spellings.get(&id).map(|s| &**s)
    }

    /// A profile's tags, in the order first written.
    pub fn tags<'a>(&'a self, profile: &Profile) -> impl Iterator<Item = &'a str> + use<'a> {
        self.tag_sets.labels(profile.tags)
    }

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

    /// The clusters when the profiles `cut` says are left unlinked: each of those alone,
    /// the rest joined by the links rows made without them. Members oldest first, clusters
    /// by their oldest member.
    pub fn clusters_without(&self, cut: impl Fn(u32) -> bool) -> Vec<Vec<u32>> {
        let n = self.profiles.len();
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn find(parent: &mut [u32], mut id: u32) -> u32 {
            while parent[id as usize] != id {
                parent[id as usize] = parent[parent[id as usize] as usize];
                id = parent[id as usize];
            }
            id
        }
        for &(a, b) in &self.edges {
            if cut(a) || cut(b) {
                continue;
            }
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra != rb {
                let (root, child) = (ra.min(rb), ra.max(rb));
                parent[child as usize] = root;
            }
        }
        let mut clusters: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
        for id in 0..n as u32 {
            let root = find(&mut parent, id);
            clusters.entry(root).or_default().push(id);
        }
        let mut clusters: Vec<Vec<u32>> = clusters.into_values().collect();
        clusters.sort_unstable_by_key(|c| c[0]);
        clusters
    }

    /// A warning for rows whose cluster — profiles linked together — holds a contact rows
    /// with different names gave (the Omnidesk import's warning: "a shared company phone
    /// links many people").
    pub fn shared_warning(&self, id: u32) -> Option<Warning> {
        // A lone profile links nobody: its rows are one contact, as any repeat is.
        let cluster = self.cluster(id);
        if cluster.len() < 2 {
            return None;
        }
        cluster
            .iter()
            .map(|&p| self.get(p))
            .find(|p| p.shared && !matches!(p.key, ContactKey::Messenger(_)))
            .map(|p| Warning::SharedContact {
                contact: p.key.to_string(),
            })
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
        let a = identity.add(2, row("89991234567", "", "Анна", "vip"));
        let b = identity.add(3, row("+7 999 123-45-67", "", "", "вебинар"));
        let c = identity.add(4, row("8 (999) 123 45 67", "", "Анна Петрова", ""));
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
        assert_eq!(profiles.tags(p).collect::<Vec<_>>(), ["vip", "вебинар"]);
    }

    #[test]
    fn spellings_are_kept_only_when_asked_and_the_first_that_differs_wins() {
        let rows = || {
            [
                row("", "ivan@mail.ru", "", ""),
                row("", "Ivan@Mail.ru", "", ""),
                row("", "IVAN@MAIL.RU", "", ""),
                row("", "Anna@Mail.ru", "", ""),
                row("89991234567", "", "", ""),
            ]
        };
        let mut kept = Identity::keeping_spellings();
        let mut plain = Identity::new();
        for (i, (a, b)) in rows().into_iter().zip(rows()).enumerate() {
            kept.add(i as u32 + 2, a);
            plain.add(i as u32 + 2, b);
        }
        let (kept, plain) = (kept.finish(), plain.finish());
        assert_eq!(kept.len(), 3);
        assert_eq!(kept.spelling(0), Some("Ivan@Mail.ru"));
        assert_eq!(kept.spelling(1), Some("Anna@Mail.ru"));
        assert_eq!(kept.spelling(2), None);
        assert!((0..3).all(|id| plain.spelling(id).is_none()));
    }

    #[test]
    fn a_phone_and_an_email_on_one_row_are_linked_transitively() {
        let mut identity = Identity::new();
        identity.add(2, row("89991234567", "anna@mail.ru", "", ""));
        identity.add(3, row("anna@mail.ru", "", "", ""));
        identity.add(4, row("89997654321", "ANNA@mail.ru", "", ""));
        identity.add(5, row("petr@mail.ru", "", "", ""));
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
    fn names_are_one_persons_when_the_words_of_one_are_in_the_other() {
        // The definition `same_person` had, with lower-cased copies of every word.
        let reference = |a: &str, b: &str| {
            let words = |name: &str| -> Vec<String> {
                name.split_whitespace().map(str::to_lowercase).collect()
            };
            let (a, b) = (words(a), words(b));
            let (short, long) = if a.len() <= b.len() {
                (&a, &b)
            } else {
                (&b, &a)
            };
            short.iter().all(|w| long.contains(w))
        };
        let names = [
            "",
            " ",
            "Анна",
            "анна",
            "АННА  Петрова",
            "Анна Петровна Петрова",
            "Петрова Анна",
            "Борис",
            "Anna",
            "ANNA smith",
            "Smith, Anna",
            "ΟΔΥΣΣΕΥΣ",
            "οδυσσευς",
            "οδυσσευσ",
            "Σ",
            "σ",
            "ΣΑΣ Σ",
            "İstanbul",
            "i̇stanbul",
            "ǅ Ǆ ǆ",
            "Ёлка ёлка",
            "\u{a0}Анна\u{2003}Петрова\u{3000}",
        ];
        for a in names {
            for b in names {
                assert_eq!(same_person(a, b), reference(a, b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn first_lower_is_the_standard_library_s() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(Some(first_lower(c)), c.to_lowercase().next(), "{c:?}");
        }
    }

    #[test]
    fn words_tell_two_people_apart_and_never_one_person() {
        let clean = |name: &str| crate::domain::text::clean(name, crate::domain::TextField::Name);
        let pairs = [
            ("Анна Петрова", "Борис Козлов", false),
            ("Анна Петрова", "АННА петрова", true),
            ("Анна", "Анна Петровна Петрова", true),
            ("Ἀλέξανδρος", "ἀλέξανδρος", true),
            ("İpek", "i\u{307}pek", true),
        ];
        // A name over the limit is cut from its `Unbounded` cleaning, line breaks kept.
        let long = format!("Иван\nПетров {}", "Сергеевич ".repeat(30));
        let (cut, _) = crate::domain::text::clean_cut(&long, crate::domain::TextField::Name);
        let cut = cut.unwrap();
        assert!(cut.contains('\n') && same_person("Петров", &cut));
        assert!(Words::of("Петров").may_be_one_person(Words::of(&cut)));
        for (a, b, one) in pairs {
            let (a, b) = (clean(a).unwrap().unwrap(), clean(b).unwrap().unwrap());
            let may = Words::of(&a).may_be_one_person(Words::of(&b));
            assert_eq!(same_person(&a, &b), one, "{a} {b}");
            assert!(may || !one, "{a} {b}");
            if !one {
                assert!(!may, "{a} {b}: told apart by their first letters");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn words_never_part_one_person(
            a in "[ aAбБЁёΣσςİi\u{307}\u{a0}\t]{0,12}",
            b in "[ aAбБЁёΣσςİi\u{307}\u{a0}\t]{0,12}",
        ) {
            let clean = |name: &str| {
                crate::domain::text::clean(name, crate::domain::TextField::Name).ok().flatten()
            };
            if let (Some(a), Some(b)) = (clean(&a), clean(&b))
                && same_person(&a, &b)
            {
                proptest::prop_assert!(Words::of(&a).may_be_one_person(Words::of(&b)));
            }
        }

        #[test]
        fn same_person_agrees_with_lower_cased_copies(
            a in "[ aAбБЁёΣσςİi\u{307}\u{a0}]{0,12}",
            b in "[ aAбБЁёΣσςİi\u{307}\u{a0}]{0,12}",
        ) {
            let words = |name: &str| -> Vec<String> {
                name.split_whitespace().map(str::to_lowercase).collect()
            };
            let (wa, wb) = (words(&a), words(&b));
            let (short, long) = if wa.len() <= wb.len() { (&wa, &wb) } else { (&wb, &wa) };
            proptest::prop_assert_eq!(
                same_person(&a, &b),
                short.iter().all(|w| long.contains(w))
            );
        }
    }

    #[test]
    fn large_clusters_are_flagged() {
        let mut identity = Identity::new();
        for (i, email) in ["a@x.ru", "b@x.ru", "c@x.ru", "d@x.ru", "e@x.ru", "f@x.ru"]
            .iter()
            .enumerate()
        {
            identity.add(i as u32 + 2, row("84951234567", email, "", ""));
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
