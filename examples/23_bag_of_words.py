"""A bag-of-words sentiment classifier on a handful of sentences.

Seed: "Real-Life Example: Natural Language Processing" (a TensorFlow embedding
model on five sentences). Here: a word-count vector per sentence and a logistic
regression (one Dense layer, ``bce_with_logits``) trained with Adam.
"""

import re

import _common
import numpy as np

import calckit as ck

sentences = [
    ("I love this movie!", 1),
    ("This film is terrible.", 0),
    ("The acting was superb.", 1),
    ("I wouldn't recommend it.", 0),
    ("A must-watch for everyone!", 1),
    ("What an amazing, wonderful story.", 1),
    ("Boring plot and terrible acting.", 0),
    ("I hated every minute of it.", 0),
    ("Amazing film, I love it.", 1),
    ("A dull, boring waste of time.", 0),
    ("Superb and wonderful, a must-see.", 1),
    ("The worst movie I have seen.", 0),
]


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


vocab = sorted({w for s, _ in sentences for w in tokens(s)})
index = {w: i for i, w in enumerate(vocab)}


def bag_of_words(texts):
    out = np.zeros((len(texts), len(vocab)))
    for row, text in enumerate(texts):
        for w in tokens(text):
            if w in index:  # out-of-vocabulary words are ignored
                out[row, index[w]] += 1
    return out


X = bag_of_words([s for s, _ in sentences])
y = np.array([label for _, label in sentences], dtype=float)
print(f"{len(sentences)} sentences, vocabulary of {len(vocab)} words")

model = ck.nn.Sequential([ck.nn.Dense(len(vocab), 1)], seed=0)
print(f"gradcheck ok: {model.gradcheck(X, y, 'bce_with_logits').ok}")
epochs = _common.size(200, 100)
history = model.fit(X, y, loss="bce_with_logits", optimizer=ck.optim.Adam(lr=0.05),
                    epochs=epochs, batch_size=len(X), seed=0, progress=False)
train_acc = np.mean((model.predict(X)[:, 0] > 0) == (y > 0.5))
print(f"final loss {np.asarray(history.loss)[-1]:.4f}")
print(f"Final training accuracy: {train_acc:.4f}")

weights = model[0].params["W"][:, 0]
top = np.argsort(weights)
print(f"most negative words: {[vocab[i] for i in top[:4]]}")
print(f"most positive words: {[vocab[i] for i in top[-4:]]}")

for test in ["This movie is amazing!", "A boring, terrible film."]:
    logit = model.predict(bag_of_words([test]))[0, 0]
    verdict = "Positive" if logit > 0 else "Negative"
    print(f"Sentiment prediction for '{test}': {verdict} "
          f"(p = {1 / (1 + np.exp(-logit)):.3f})")
