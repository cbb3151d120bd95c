//! Domain types: raw cells become these once, at the edge, and nothing downstream handles a
//! raw phone string.

pub mod email;
pub mod messenger;
pub mod phone;
pub mod row;
pub mod tags;
pub mod text;

pub use email::{Email, EmailError};
pub use messenger::{Messenger, MessengerId, MessengerIdError};
pub use phone::{Phone, PhoneError, Region};
pub use row::{Contact, ContactKey, Problem, RawRow, Row, Said, Warning};
pub use tags::Tags;
pub use text::TextField;
