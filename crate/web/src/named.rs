//! Enums whose variants have names (in links, in the page's HTML, in messages): one list per
//! enum gives `ALL`, `name()` and `from_name()`, so a name is written exactly once.

/// `named_enum! { /// doc  pub enum Filter { All = "all", AToB = "ab" } }` defines the enum
/// with `Filter::ALL`, `filter.name()` and `Filter::from_name("ab")`.
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in the order written.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];
            const NAMES: &'static [&'static str] = &[ $( $text ),+ ];

            /// The variant's name, as links and the page write it.
            pub fn name(self) -> &'static str {
                // ALL and NAMES come from the same list, so every variant has a name.
                let index = Self::ALL.iter().position(|v| *v == self).unwrap_or(0);
                Self::NAMES[index]
            }

            /// The variant with this name, if any.
            pub fn from_name(name: &str) -> Option<$name> {
                Self::NAMES
                    .iter()
                    .position(|n| *n == name)
                    .map(|i| Self::ALL[i])
            }
        }
    };
}

#[cfg(test)]
mod tests {
    named_enum! {
        /// A test enum.
        pub enum Fruit { Apple = "apple", Pear = "pear" }
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        assert_eq!(Fruit::ALL, &[Fruit::Apple, Fruit::Pear]);
        for fruit in Fruit::ALL {
            assert_eq!(Fruit::from_name(fruit.name()), Some(*fruit));
        }
        assert_eq!(Fruit::Pear.name(), "pear");
        assert_eq!(Fruit::from_name("plum"), None);
    }
}
