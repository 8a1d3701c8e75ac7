from healme_synth.cli import main

main()
