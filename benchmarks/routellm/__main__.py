from benchmarks.routellm.run import main

raise SystemExit(main())
