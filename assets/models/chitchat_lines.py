"""Writes the chitchat corpus as `tokenscope train --corpus` text: one conversation a line.

The BYU PCC lab's Chit-Chat Challenge conversations (PyPI `chitchat-dataset` 0.9.0, MIT)
are everyday English between students: one line a conversation keeps each held-out line a
whole conversation the model never saw in part. Messages are joined by a space, in the
file's order, with runs of whitespace inside a message made one space; nothing else changes.

    python3 chitchat_lines.py chitchat_dataset/dataset.json > chitchat.txt
"""

import json
import sys


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        conversations = json.load(file)
    for conversation in conversations.values():
        messages = (
            " ".join(message["text"].split())
            for turn in conversation["messages"]
            for message in turn
        )
        line = " ".join(text for text in messages if text)
        if line:
            print(line)


if __name__ == "__main__":
    main()
