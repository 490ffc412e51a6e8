import { test } from '@japa/runner'
import { similarity } from '#worker/face/face_engine'
import { embeddingSimilarity } from '#actions/reviews/identity_panel'

/** 1024 numbers, as the face model's embeddings are, from a seed (near another one, or not). */
function embedding(seed: number, near?: number[], spread = 0.1) {
  let state = seed
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1
  return Array.from({ length: 1024 }, (_, i) => (near ? near[i] + random() * spread : random() * 0.5))
}

test.group('Identity: the ID portrait against the face', () => {
  test("the report's similarity is the face model's own measure", ({ assert }) => {
    const face = embedding(1)
    for (const other of [face, embedding(2, face, 0.3), embedding(3, face, 0.45), embedding(4, face, 0.6), embedding(5)]) {
      assert.equal(embeddingSimilarity(face, other), similarity(face, other))
    }
    /* Alike, less alike, unlike: the measure spreads over the range. */
    const values = [2, 3, 4].map((n, i) => embeddingSimilarity(face, embedding(n, face, [0.3, 0.45, 0.6][i]))!)
    assert.isAbove(values[0], values[1])
    assert.isAbove(values[1], values[2])
    assert.isBelow(embeddingSimilarity(face, embedding(5))!, 0.5)
    assert.equal(embeddingSimilarity(face, face), 1)
    assert.isNull(embeddingSimilarity(face, face.slice(0, 512)))
  })
})
