//! A person's full name (Фамилия Имя Отчество) parsed at the edge and folded for matching.

/// Фамилия, Имя and optional Отчество (or a longer patronymic such as «Алиев оглы»).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullName {
    pub last: String,
    pub first: String,
    /// Everything after the first name; empty when the person has no patronymic.
    pub middle: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a surname and a first name are required")]
    TooFewParts,
    #[error("the name is too long")]
    TooLong,
    #[error("a name may hold only letters, hyphens and apostrophes")]
    BadCharacter,
}

const MAX_CHARS: usize = 200;

impl FullName {
    pub fn parse(input: &str) -> Result<FullName, NameError> {
        if input.chars().count() > MAX_CHARS {
            return Err(NameError::TooLong);
        }
        let parts: Vec<&str> = input.split_whitespace().collect();
        if parts.len() < 2 {
            return Err(NameError::TooFewParts);
        }
        for p in &parts {
            let ok_chars = p.chars().all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’'));
            let has_letter = p.chars().any(char::is_alphabetic);
            if !ok_chars || !has_letter {
                return Err(NameError::BadCharacter);
            }
        }
        Ok(FullName { last: parts[0].to_owned(), first: parts[1].to_owned(), middle: parts[2..].join(" ") })
    }

    pub fn from_parts(last: &str, first: &str, middle: &str) -> FullName {
        FullName { last: last.trim().to_owned(), first: first.trim().to_owned(), middle: middle.trim().to_owned() }
    }

    /// «Иванова Мария Петровна».
    pub fn full(&self) -> String {
        [self.last.as_str(), self.first.as_str(), self.middle.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// How the cabinet addresses the client: «Мария Петровна».
    pub fn greeting(&self) -> String {
        if self.middle.is_empty() {
            self.first.clone()
        } else {
            format!("{} {}", self.first, self.middle)
        }
    }

    /// The matching key: lower case, ё as е, one space between parts, typographic apostrophe
    /// as ASCII. People type their names in many ways; accounting compares this.
    pub fn key(&self) -> String {
        self.full()
            .chars()
            .flat_map(char::to_lowercase)
            .map(|c| match c {
                'ё' => 'е',
                '’' => '\'',
                c => c,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_folds() {
        let n = FullName::parse("  иванова   МАРИЯ  Пётровна ").unwrap();
        assert_eq!(n.full(), "иванова МАРИЯ Пётровна");
        assert_eq!(n.key(), "иванова мария петровна");
        assert_eq!(FullName::parse("Иванова Мария Петровна").unwrap().key(), n.key());
        assert_eq!(FullName::parse("Алиев Руслан Салим оглы").unwrap().middle, "Салим оглы");
        assert_eq!(FullName::parse("Smith John").unwrap().greeting(), "John");
        assert_eq!(FullName::parse("Д'Артаньян Шарль").unwrap().last, "Д'Артаньян");
    }

    #[test]
    fn refuses_nonsense() {
        assert_eq!(FullName::parse(""), Err(NameError::TooFewParts));
        assert_eq!(FullName::parse("   "), Err(NameError::TooFewParts));
        assert_eq!(FullName::parse("Иванова"), Err(NameError::TooFewParts));
        assert_eq!(FullName::parse("Иванова М. П."), Err(NameError::BadCharacter));
        assert_eq!(FullName::parse("Иванова 123"), Err(NameError::BadCharacter));
        assert_eq!(FullName::parse("Иванова <script>"), Err(NameError::BadCharacter));
        assert_eq!(FullName::parse("Иванова -"), Err(NameError::BadCharacter));
        assert_eq!(FullName::parse(&"Я ".repeat(150)), Err(NameError::TooLong));
    }
}
