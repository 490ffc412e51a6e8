/*
| bench/analysis: exam-hours analysed per core-hour, for a one-hour webcam recording (face
| and voice), and beside it what ffmpeg alone takes to decode the same file, measured in the
| same run. Run: node_modules/.bin/node --import=@poppinss/ts-exec bench/analysis.ts
*/
import { availableParallelism, cpus } from 'node:os'
import { faceSamples } from '../analysis-worker/face/face_samples.js'
import { getFaceEngine } from '../analysis-worker/face/face_engine.js'
import { audioStartSeconds, detectVoice } from '../analysis-worker/voice/voice_findings.js'
import { candidatePhoto } from '../tests/helpers/exam_video.js'
import { cpuOf, cpuSeconds, run } from './lib.js'
import { hourRecording } from './make_recording.js'

const file = await hourRecording()
const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file])
const hours = Number(stdout) / 3600

const decodeCpu = await cpuOf('ffmpeg', ['-v', 'error', '-threads', '1', '-i', file, '-f', 'null', '-'])

const engine = await getFaceEngine()
const reference = (await engine.detect(await candidatePhoto(), { embeddings: true })).faces[0]?.embedding ?? null
const before = cpuSeconds()
const started = performance.now()
const { samples } = await faceSamples(file, reference)
const faceCpu = cpuSeconds() - before
const voice = await detectVoice(file, await audioStartSeconds(file))
const analysisCpu = cpuSeconds() - before
const wall = (performance.now() - started) / 1000

const perCoreHour = (cpu: number) => hours / (cpu / 3600)
console.log(`machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores`)
console.log(`recording: ${(hours * 60).toFixed(1)} min, ${samples.length} face samples, ${voice.length} speech ranges`)
console.log(`ffmpeg alone, full decode: ${decodeCpu.toFixed(1)} s CPU = ${perCoreHour(decodeCpu).toFixed(0)} exam-hours per core-hour`)
console.log(`analysis: face ${faceCpu.toFixed(1)} s CPU, voice ${(analysisCpu - faceCpu).toFixed(1)} s CPU, ${wall.toFixed(1)} s wall`)
console.log(`ratio to ffmpeg's decode: ${(analysisCpu / decodeCpu).toFixed(2)}x its CPU`)
console.log(`exam-hours analysed per core-hour: ${perCoreHour(analysisCpu).toFixed(1)}`)
