//! Training text: WordNet's glosses and example sentences turned into plain lines, a split
//! into training and held-out lines, a byte-level BPE tokenizer trained on them (as GPT-2's),
//! and the token stream a model learns from.

use std::collections::HashSet;

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::processors::byte_level::ByteLevel as ByteLevelProcessor;
use tokenizers::{AddedToken, TokenizerBuilder};

use crate::error::{Error, Result};

/// GPT-2's end-of-text token, placed between lines of the stream.
pub const END_OF_TEXT: &str = "<|endoftext|>";

/// The lines of one WordNet `data.{noun,verb,adj,adv}` file, one synset after another:
/// `"party: an occasion on which people can assemble for social interaction and
/// entertainment"`, then each quoted example of that synset as its own line (`"he planned a
/// party to celebrate Bastille Day"`). The licence header (lines starting with two spaces)
/// and anything without a gloss are skipped. With [`WordnetPart::Examples`] only the
/// example sentences are kept: everyday sentences about people doing things, without the
/// dictionary phrasing of the definitions.
pub fn wordnet_lines(data_file: &str, part: WordnetPart) -> Vec<String> {
    let mut lines = Vec::new();
    for record in data_file.lines() {
        if record.starts_with("  ") {
            continue;
        }
        let Some((head, gloss)) = record.split_once("| ") else {
            continue;
        };
        // head: offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id…] …
        let fields: Vec<&str> = head.split_whitespace().collect();
        let lemma = fields
            .get(4)
            .map(|w| clean_lemma(w))
            .filter(|w| !w.is_empty());
        let gloss = gloss.trim();
        let (definition, rest) = match gloss.find("; \"").or_else(|| gloss.find('"')) {
            Some(at) => (&gloss[..at], &gloss[at..]),
            None => (gloss, ""),
        };
        let definition = definition.trim().trim_end_matches(';').trim();
        if !definition.is_empty() && part == WordnetPart::All {
            lines.push(match &lemma {
                Some(lemma) => format!("{lemma}: {definition}"),
                None => definition.to_string(),
            });
        }
        // Examples are the quoted parts of the gloss.
        for (index, part) in rest.split('"').enumerate() {
            let example = part.trim();
            if index % 2 == 1 && example.split_whitespace().count() >= 2 {
                lines.push(example.to_string());
            }
        }
    }
    lines
}

/// Which lines of WordNet a corpus takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordnetPart {
    /// A "lemma: definition" line per synset, then its example sentences.
    All,
    /// Only the example sentences.
    Examples,
}

/// `party_favor` → `party favor`; adjective markers such as `(a)` dropped.
fn clean_lemma(word: &str) -> String {
    let word = word.split('(').next().unwrap_or(word);
    word.replace('_', " ")
}

/// Splits lines into training and held-out text: every `every`-th line is held out, so both
/// sides sample the whole corpus and the split never changes.
pub fn split_held_out(lines: Vec<String>, every: usize) -> (Vec<String>, Vec<String>) {
    let every = every.max(2);
    let mut train = Vec::with_capacity(lines.len());
    let mut held_out = Vec::with_capacity(lines.len() / every + 1);
    for (index, line) in lines.into_iter().enumerate() {
        if index % every == every - 1 {
            held_out.push(line);
        } else {
            train.push(line);
        }
    }
    (train, held_out)
}

/// Trains a byte-level BPE tokenizer like GPT-2's (no unknown tokens: every byte has a
/// token; `<|endoftext|>` gets id 0) with at most `vocab_size` tokens, and returns its
/// `tokenizer.json`.
pub fn train_tokenizer(lines: &[String], vocab_size: usize) -> Result<Vec<u8>> {
    let alphabet: HashSet<char> = ByteLevel::alphabet().into_iter().collect();
    if vocab_size < alphabet.len() + 1 {
        return Err(Error::Tokenizer(format!(
            "a byte-level vocabulary needs at least {} tokens (got {vocab_size})",
            alphabet.len() + 1
        )));
    }
    let mut trainer = BpeTrainerBuilder::new()
        .vocab_size(vocab_size)
        .min_frequency(2)
        .show_progress(false)
        .initial_alphabet(alphabet)
        .special_tokens(vec![AddedToken::from(END_OF_TEXT, true)])
        .build();
    let mut tokenizer = TokenizerBuilder::<
        BPE,
        NormalizerWrapper,
        ByteLevel,
        ByteLevelProcessor,
        ByteLevelDecoder,
    >::new()
    .with_model(BPE::default())
    .with_normalizer(None)
    .with_pre_tokenizer(Some(ByteLevel::new(false, true, true)))
    .with_post_processor(Some(ByteLevelProcessor::new(false, false, true)))
    .with_decoder(Some(ByteLevelDecoder::default()))
    .build()
    .map_err(|e| Error::Tokenizer(e.to_string()))?;
    tokenizer
        .train(&mut trainer, lines.iter())
        .map_err(|e| Error::Tokenizer(e.to_string()))?;
    tokenizer
        .to_string(false)
        .map(String::into_bytes)
        .map_err(|e| Error::Tokenizer(e.to_string()))
}

/// How many tokens a `tokenizer.json` has, specials included: the model's `vocab_size`.
pub fn vocab_size(tokenizer_json: &[u8]) -> Result<usize> {
    crate::tokenize::screen(tokenizer_json)?;
    tokenizers::Tokenizer::from_bytes(tokenizer_json)
        .map(|t| t.get_vocab_size(true))
        .map_err(|e| Error::Tokenizer(e.to_string()))
}

/// Tokenizes every line and joins them into one stream with `<|endoftext|>` after each
/// line, the way GPT-2 saw its documents.
pub fn encode_lines(tokenizer_json: &[u8], lines: &[String]) -> Result<Vec<u32>> {
    crate::tokenize::screen(tokenizer_json)?;
    let tokenizer = tokenizers::Tokenizer::from_bytes(tokenizer_json)
        .map_err(|e| Error::Tokenizer(e.to_string()))?;
    let end = tokenizer
        .token_to_id(END_OF_TEXT)
        .ok_or_else(|| Error::Tokenizer(format!("the tokenizer has no {END_OF_TEXT}")))?;
    let mut ids = Vec::new();
    for line in lines {
        let encoding = tokenizer
            .encode(line.as_str(), false)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        ids.extend_from_slice(encoding.get_ids());
        ids.push(end);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "  1 This software and database is being provided to you\n\
07447261 04 n 02 party 0 political_party 1 001 @ 07950920 n 0000 | an organization to gain political power; \"in 1992 Perot tried to organize a third party at the national level\"\n\
07448717 04 n 01 party 2 003 @ 07447261 n 0000 | an occasion on which people can assemble for social interaction and entertainment; \"he planned a party to celebrate Bastille Day\"\n\
00001740 00 a 01 able(a) 0 | (usually followed by `to') having the necessary means or skill; \"able to swim\"; \"she was able to program her computer\"\n";

    #[test]
    fn wordnet_records_become_definitions_and_examples() {
        let lines = wordnet_lines(SAMPLE, WordnetPart::All);
        assert_eq!(
            lines,
            [
                "party: an organization to gain political power",
                "in 1992 Perot tried to organize a third party at the national level",
                "party: an occasion on which people can assemble for social interaction and entertainment",
                "he planned a party to celebrate Bastille Day",
                "able: (usually followed by `to') having the necessary means or skill",
                "able to swim",
                "she was able to program her computer",
            ]
        );
    }

    #[test]
    fn wordnet_examples_leave_out_the_definitions() {
        let lines = wordnet_lines(SAMPLE, WordnetPart::Examples);
        assert_eq!(
            lines,
            [
                "in 1992 Perot tried to organize a third party at the national level",
                "he planned a party to celebrate Bastille Day",
                "able to swim",
                "she was able to program her computer",
            ]
        );
    }

    #[test]
    fn every_nth_line_is_held_out() {
        let lines: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        let (train, held) = split_held_out(lines, 5);
        assert_eq!(held, ["4", "9"]);
        assert_eq!(train.len(), 8);
    }

    #[test]
    fn a_trained_tokenizer_round_trips_text() {
        let lines = wordnet_lines(SAMPLE, WordnetPart::All);
        let json = train_tokenizer(&lines, 300).expect("trains");
        let tokenizer = tokenizers::Tokenizer::from_bytes(&json).expect("loads");
        assert!(tokenizer.get_vocab_size(true) <= 300);
        assert_eq!(tokenizer.token_to_id(END_OF_TEXT), Some(0));
        let encoded = tokenizer
            .encode("a party to celebrate", false)
            .expect("encodes");
        let decoded = tokenizer.decode(encoded.get_ids(), false).expect("decodes");
        assert_eq!(decoded, "a party to celebrate");
        assert!(train_tokenizer(&lines, 10).is_err());
    }
}
