//! Every word the page shows, in English and Simplified Chinese: the seed's readers are
//! Chinese, so both languages are complete and switchable.

use crate::named_enum;

named_enum! {
    /// The page's languages; the names are the link's `lang=`.
    pub enum Lang {
        En = "en",
        Zh = "zh",
    }
}

impl Lang {
    /// "zh", "zh-CN", "zh-Hans" … all mean Chinese; "en-GB" English; anything else None.
    pub fn from_code(code: &str) -> Option<Lang> {
        let code = code.trim().to_ascii_lowercase();
        let base = code.split('-').next().unwrap_or_default();
        Lang::from_name(base)
    }

    /// The `lang` attribute of the page's root element.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
        }
    }
}

/// (key, English, 简体中文). Every key index.html or the Rust code uses must be here, in
/// both languages; a test checks it.
const TEXTS: &[(&str, &str, &str)] = &[
    ("tagline", "See, with a real model's real numbers, how text becomes tokens, ids and vectors.", "用真实模型的真实数字，看文本如何变成词元、ID 和向量。"),
    ("language", "Language", "语言"),
    ("dark-mode", "Dark", "深色"),
    ("copy-link", "Copy link", "复制链接"),
    ("link-copied", "Link copied — it opens exactly this view.", "链接已复制——打开它会显示完全相同的视图。"),
    ("link-in-bar", "The address bar holds the link to this exact view.", "地址栏中就是这个视图的链接。"),
    ("input-heading", "Sentences", "句子"),
    ("download", "Model download", "模型下载"),
    ("sentence-a", "Sentence A", "句子 A"),
    ("sentence-b", "Sentence B (optional)", "句子 B（可选）"),
    ("tokens-a", "Tokens of sentence A and their ids", "句子 A 的词元及其 ID"),
    ("tokens-b", "Tokens of sentence B and their ids", "句子 B 的词元及其 ID"),
    ("examples", "Examples", "示例"),
    ("example-party", "“party”: a celebration / a political party", "“party”：庆祝聚会 / 政党"),
    ("example-order", "Word order: Tim chased clouds / clouds chased Tim", "词序：Tim chased clouds / clouds chased Tim"),
    ("example-animals", "cat, dog, car, banana", "cat、dog、car、banana"),
    ("pair-mode", "Run A and B as one BERT pair ([CLS] A [SEP] B [SEP])", "把 A 和 B 作为一个 BERT 句子对运行（[CLS] A [SEP] B [SEP]）"),
    ("select-hint", "Click a token (or use ← →) to select it in every view.", "点击一个词元（或按 ← →）即可在所有视图中选中它。"),
    ("views", "Views", "视图"),
    ("tab-tokens", "Tokens & IDs", "词元与 ID"),
    ("tab-onehot", "One-hot vs embedding", "独热编码与嵌入"),
    ("tab-similarity", "Cosine similarity", "余弦相似度"),
    ("tab-head", "Attention: heads", "注意力：各个头"),
    ("tab-model", "All layers × heads", "所有层 × 头"),
    ("tab-summary", "Attention summary", "注意力汇总"),
    ("h-summary", "Attention over the layers", "逐层的注意力"),
    ("lead-summary", "The selected token's attention averaged over every head, one row per layer: where in depth a word starts looking at the words that give it its meaning. Select another token, or pick a layer to highlight its row.", "选中词元的注意力，对所有头取平均，每层一行：看一个词在第几层开始关注赋予它意义的词。选中别的词元，或选一层来突出它那一行。"),
    ("summary-title", "attention averaged over the heads, layer by layer", "对所有头取平均的注意力，逐层"),
    ("summary-says", "attends most to, averaged over every head ([CLS], [SEP] and itself left out):", "对所有头取平均后最关注（不计 [CLS]、[SEP] 和它自己）："),
    ("summary-canvas", "The selected token's attention by layer, averaged over the heads", "选中词元逐层的注意力（对所有头取平均）"),
    ("tab-neuron", "Query, key, value", "查询、键、值"),
    ("tab-position", "Position", "位置"),
    ("layer", "Layer", "层"),
    ("head", "Head", "头"),
    ("heads", "Heads", "注意力头"),
    ("heads-count", "heads", "个头"),
    ("h-position-rotary", "Rotary positions (RoPE) and word order", "旋转位置编码（RoPE）与词序"),
    ("lead-position-rotary", "This model adds no position vector. Inside every attention head it turns each pair of query and key numbers (i, i + d/2) by an angle: position × θᵢ. The first pairs turn fast, the last ones slowly. Rows marked on the left are the positions this sentence uses.", "这个模型不加位置向量。在每个注意力头里，它把查询和键的每一对数字 (i, i + d/2) 旋转一个角度：位置 × θᵢ。前面的数对转得快，后面的转得慢。左侧标出的行是这句话用到的位置。"),
    ("h-sum-rotary", "Only the distance counts: the selected token's query and key, placed t tokens apart", "只有距离起作用：选中词元的查询和键，相隔 t 个词元放置"),
    ("angle-title", "Rotation angle of each dimension pair (radians)", "每个维度对的旋转角（弧度）"),
    ("pair-axis", "dimension pair i", "维度对 i"),
    ("positions-count", "positions", "个位置"),
    ("pairs-count", "pairs", "个数对"),
    ("rope-base", "base", "底数"),
    ("query-at", "query at", "查询位于"),
    ("distance-title", "score by distance t (the key t tokens before the query)", "得分随距离 t 变化（键在查询之前 t 个词元）"),
    ("distance-axis", "distance t", "距离 t"),
    ("distance-placed", "The same query and key, with the query placed at", "同一个查询和键，查询分别放在位置"),
    ("distance-gap", "Largest gap between the curves", "曲线之间最大的差"),
    ("distance-only", "they lie on top of each other, so the score depends only on how far apart the tokens are, not on where they are.", "几条曲线重合：得分只取决于两个词元相隔多远，而不取决于它们在哪里。"),
    ("h-rotation", "Before and after the turn: RoPE rotates q and k by their token's position", "旋转前后：RoPE 按词元的位置旋转 q 和 k"),
    ("q-before", "q before the turn", "旋转前的 q"),
    ("q-after", "q after the turn (scores use this)", "旋转后的 q（得分用它）"),
    ("k-before", "own k before", "自身的 k（旋转前）"),
    ("k-after", "own k after", "自身的 k（旋转后）"),
    ("rotation-title", "each pair (i, i + d/2) turned by {p} × θᵢ", "每一对 (i, i + d/2) 旋转 {p} × θᵢ"),
    ("rotation-lengths", "Each pair (i, i + d/2) turns by position × θᵢ; lengths do not change", "每一对 (i, i + d/2) 旋转 位置 × θᵢ；长度不变"),
    ("qk-before", "q·k before the turn", "旋转前的 q·k"),
    ("kv-group", "key/value head", "键/值头"),
    ("kv-short", "K/V", "K/V"),
    ("kv-groups-lead", "Grouped-query attention: several query heads read one key/value head (heads → key/value head)", "分组查询注意力：几个查询头共用一个键/值头（头 → 键/值头）"),
    ("tab-architecture", "Architecture", "模型结构"),
    ("h-architecture", "The model's building block, beside GPT-2's", "模型的基本模块，与 GPT-2 对照"),
    ("lead-architecture", "Every GPT stacks the same block many times: normalise, attend, add back, normalise, MLP, add back. Modern models change the parts inside it. Boxes outlined in orange differ from GPT-2's; the sizes are the loaded model's own.", "每个 GPT 都把同一个模块堆叠很多次：归一化、注意力、加回、归一化、MLP、加回。现代模型改的是模块里面的部件。橙色框出的部分与 GPT-2 不同；尺寸都是当前模型自己的。"),
    ("architecture-canvas", "The loaded model's block beside GPT-2's", "当前模型的模块与 GPT-2 的对照"),
    ("arch-embed", "Token embedding", "词元嵌入"),
    ("arch-pos-learned", "+ position embedding (learned)", "+ 位置嵌入（学习得到）"),
    ("arch-pos-rotary", "no position vector added", "不加位置向量"),
    ("arch-attention", "Self-attention (every token sees every token)", "自注意力（每个词元看到所有词元）"),
    ("arch-attention-causal", "Causal self-attention", "因果自注意力"),
    ("arch-query-heads", "query heads", "个查询头"),
    ("arch-qk-norm", "q/k RMSNorm", "q/k RMSNorm"),
    ("arch-rope-turn", "RoPE turns q, k", "RoPE 旋转 q、k"),
    ("arch-fraction", "1/{n} of GPT-2 small", "GPT-2 small 的 1/{n}"),
    ("arch-size-lead", "Size:", "大小："),
    ("arch-residual", "+ add back (residual)", "+ 加回（残差）"),
    ("arch-final", "final", "最后"),
    ("arch-head-tied", "Next-token head = the embedding table (tied)", "下一个词元的输出头 = 嵌入表（共享）"),
    ("arch-head-own", "Next-token head: its own matrix (untied)", "下一个词元的输出头：单独的矩阵（不共享）"),
    ("arch-softmax", "softmax → next-token probabilities", "softmax → 下一个词元的概率"),
    ("arch-tokens", "tokens", "个词元"),
    ("arch-contextual", "Contextual vectors (no next-token head)", "上下文向量（没有预测下一个词元的输出头）"),
    ("arch-numbers-each", "numbers per token", "个数字/词元"),
    ("arch-parameters", "parameters", "个参数"),
    ("arch-table", "Parameters of each part", "各部分的参数"),
    ("arch-part", "part", "部分"),
    ("arch-share", "share of this model", "占本模型"),
    ("part-embeddings", "token embedding", "词元嵌入"),
    ("part-positions", "position table", "位置表"),
    ("part-attention", "attention (q, k, v, output)", "注意力（q、k、v、输出）"),
    ("part-mlp", "MLP", "MLP"),
    ("part-norms", "norms", "归一化"),
    ("part-head", "own output head", "单独的输出头"),
    ("part-total", "total", "合计"),
    ("diff-lead", "Compared with GPT-2:", "与 GPT-2 相比："),
    ("diff-rmsnorm", "RMSNorm instead of LayerNorm (no mean taken away, no bias)", "用 RMSNorm 代替 LayerNorm（不减均值，没有偏置）"),
    ("diff-post-norm", "the norm comes after each residual sum, not before each part", "归一化放在每次残差相加之后，而不是每个部件之前"),
    ("diff-swiglu", "a SwiGLU MLP (a gate, three matrices) instead of a GELU MLP", "SwiGLU MLP（带门控，三个矩阵）代替 GELU MLP"),
    ("diff-rope", "rotary positions (RoPE) inside attention instead of a learned position table", "注意力内部的旋转位置编码（RoPE）代替学习得到的位置表"),
    ("diff-gqa", "{q} query heads share {kv} key/value heads (grouped-query attention)", "{q} 个查询头共用 {kv} 个键/值头（分组查询注意力）"),
    ("diff-qk-norm", "each head's query and key are normalised before the turn", "每个头的查询和键在旋转前先归一化"),
    ("diff-window", "attention sees only the last {w} tokens (sliding window)", "注意力只看最近 {w} 个词元（滑动窗口）"),
    ("diff-own-head", "its own next-token matrix instead of reusing the embedding table", "用单独的输出矩阵，而不是复用嵌入表"),
    ("diff-bidirectional", "every token sees the whole text, and no next token is predicted", "每个词元都看到整段文本，也不预测下一个词元"),
    ("diff-none", "This is GPT-2's own block at GPT-2 small's size.", "这就是 GPT-2 自己的模块，大小与 GPT-2 small 相同。"),
    ("sum-facts", "{token} at position {p}: its word row plus the position row is what the first layer receives, {n} numbers each.", "{token} 在位置 {p}：词向量加上位置向量，就是第一层收到的输入，各 {n} 个数字。"),
    ("kv-heads-count", "key/value heads", "个键/值头"),
    ("sliding-window", "sliding window", "滑动窗口"),
    ("position-zoom", "positions shown", "显示的位置"),
    ("filter", "Show", "显示"),
    ("filter-all", "All", "全部"),
    ("h-tokens", "Tokens and token IDs", "词元与词元 ID"),
    ("lead-tokens", "The tokenizer splits text into tokens; each token has a unique ID in the model's vocabulary.", "分词器把文本切分成词元（token），每个词元在模型词表中都有唯一的 ID。"),
    ("h-raw-ids", "Why the model does not use the IDs as numbers", "为什么模型不直接把 ID 当作数字使用"),
    ("lead-raw-ids", "IDs are only names. Used as numbers they would create a false order: a token with a bigger ID would count as “more”, and tokens with close IDs as alike. The model looks each ID up in a table instead.", "ID 只是名字。如果把它们当作数字，就会产生虚假的顺序：ID 大的词元好像“更多”，ID 相近的词元好像更相似。模型改为用 ID 去查表。"),
    ("ids-canvas", "The token IDs on a number line", "数轴上的词元 ID"),
    ("ids-title", "Token IDs on a number line from 0 to the vocabulary size", "从 0 到词表大小的数轴上的词元 ID"),
    ("h-onehot", "One-hot vector vs embedding", "独热向量与嵌入向量"),
    ("lead-onehot", "A one-hot vector is as long as the vocabulary with a single 1. The embedding is a short dense vector the model learned.", "独热向量和词表一样长，只有一个 1。嵌入向量是模型学到的一个短而稠密的向量。"),
    ("onehot-title", "One-hot vector of", "独热向量："),
    ("embedding-title", "Embedding (static word vector) of", "嵌入向量（静态词向量）："),
    ("numbers", "Numbers", "数字"),
    (
        "table-on-open",
        "A table of {rows} × {cols} numbers: it is built while this is open.",
        "{rows} × {cols} 个数字的表格：展开时才生成。",
    ),
    ("h-similarity", "Cosine similarity", "余弦相似度"),
    ("lead-similarity", "cos θ = a·b / (|a| |b|): 1 means the same direction. Static embeddings give every “party” the same vector; contextual vectors (after each layer) tell them apart.", "cos θ = a·b / (|a| |b|)：1 表示方向相同。静态嵌入给每个 “party” 同一个向量；上下文向量（每层之后）能把它们区分开。"),
    ("depth", "Vectors from", "向量来自"),
    ("depth-static", "static embeddings (the lookup table)", "静态嵌入（查表结果）"),
    ("depth-embeddings", "embedding layer output (+ position)", "嵌入层输出（加上位置）"),
    ("depth-layer", "after layer", "第几层之后："),
    ("similarity-title", "Cosine similarity", "余弦相似度"),
    ("h-drift", "The selected token vs its partner, layer by layer", "选中的词元与它的对应词元，逐层比较"),
    ("drift-title", "cosine by depth", "各深度的余弦相似度"),
    ("h-toy", "Toy vectors (edit them)", "玩具向量（可以编辑）"),
    ("lead-toy", "The article's 4-number “embeddings”. Change a number and watch the similarities change.", "文章中的 4 维“嵌入”。改动一个数字，看相似度如何变化。"),
    ("h-head", "Attention, head by head", "注意力，逐个头查看"),
    ("lead-head", "Each line joins a token (left) to a token it attends to (right); the stronger the attention, the darker the line. One colour per head. Hover a token to see only its lines.", "每条线把一个词元（左）连到它关注的词元（右）；注意力越强，线越深。每个头一种颜色。把鼠标停在词元上只看它的连线。"),
    ("swatch-hint", "Click a colour to hide or show that head; double-click to show it alone.", "单击颜色可隐藏或显示该头；双击只显示这一个头。"),
    ("mean-of", "mean of", "取平均："),
    ("attends-note", "Strongest partners, averaged over the visible heads; [CLS], [SEP] and the token itself are left out because they draw attention in every sentence.", "最强的关注对象，对可见的头取平均；[CLS]、[SEP] 和词元自身不计入，因为它们在每个句子里都会吸引注意力。"),
    ("attends-heading", "Whom the selected token attends to most", "选中的词元最关注谁"),
    ("h-matrix", "The current head as a matrix (click a row to select that token)", "当前注意力头的矩阵（点击一行即可选中该词元）"),
    ("which-hint", "select a token of the other sentence to switch", "选中另一句中的词元即可切换"),
    ("tab-next", "Next token", "下一个词元"),
    ("h-next", "Next-token prediction", "预测下一个词元"),
    ("lead-next", "A GPT model reads the tokens so far and gives every token of its vocabulary a probability of coming next. Select a token to see what the model expected after it, and what really came.", "GPT 模型读入已有的词元，为词表中每个词元给出“下一个出现”的概率。选中一个词元，看看模型在它之后预期什么、实际出现的又是什么。"),
    ("next-title", "Most probable next tokens after", "之后最可能的下一个词元："),
    ("next-actual", "what really came", "实际出现的"),
    ("next-bert", "This model is BERT-like: it reads a whole text at once and does not predict the next token. Switch to a GPT model — the embedded one below, or your own GPT-2 (config.json, model.safetensors, tokenizer.json) — to see this view.", "这是类 BERT 模型：它一次读入整段文本，不预测下一个词元。请换用 GPT 模型——下面的内置模型，或你自己的 GPT-2（config.json、model.safetensors、tokenizer.json）——来查看此视图。"),
    ("predictions-caption", "At every position: the model's first guess for the next token, and the probability it gave the token that came", "每个位置：模型对下一个词元的首选，以及它给实际出现的词元的概率"),
    ("rank", "rank", "排名"),
    ("token", "token", "词元"),
    ("probability", "probability", "概率"),
    ("position", "position", "位置"),
    ("guess", "first guess", "首选"),
    ("open-model", "Open a model…", "打开模型……"),
    ("model-label", "Model", "模型"),
    ("tab-learn", "Learning", "学习"),
    ("h-learn", "How the model learned", "模型是怎样学会的"),
    ("lead-learn", "A model starts with random numbers. Training shows it text, compares its next-token guesses with the tokens that really came (the loss), and nudges every number to lower that loss — thousands of times. The held-out line is text it never trained on: it falls only if the model learned something general.", "模型从随机数开始。训练时给它看文本，把它对下一个词元的猜测与真正出现的词元比较（损失），再微调每个数让损失变小——如此数千次。留出文本是它从未训练过的文本：只有学到了普遍规律，这条线才会下降。"),
    ("learn-title", "Loss while training", "训练中的损失"),
    ("learn-train", "training batches", "训练批次"),
    ("learn-held", "held-out text", "留出文本"),
    ("learn-step", "step", "步数"),
    ("learn-loss", "loss (cross-entropy)", "损失（交叉熵）"),
    ("learn-guess", "guessing", "随机猜测"),
    ("learn-corpus", "Trained on", "训练语料"),
    ("learn-then", "then, from step", "之后，从步数"),
    ("learn-more-text", "more text from here", "此后加入更多文本"),
    ("learn-parameters", "parameters", "个参数"),
    ("learn-tokens", "training tokens", "个训练词元"),
    ("learn-steps", "steps × batch × length", "步数 × 批量 × 长度"),
    ("learn-final", "held-out loss", "留出损失"),
    ("learn-perplexity", "perplexity", "困惑度"),
    ("tab-train", "Train", "训练"),
    ("h-train", "Train a GPT here", "在这里训练一个 GPT"),
    ("lead-train", "Choose a text and a model size, press Train, and watch a GPT learn in your browser: its loss falls, its samples turn from noise into words, and its word vectors and attention change from random to learned. Each step takes a batch of windows from the text, compares the model's next-token guesses with the real next tokens (the loss), and adjusts every weight to lower it.", "选一段文本和模型大小，按“训练”，看一个 GPT 在你的浏览器里学习：损失下降，生成的样本从乱码变成词语，词向量和注意力从随机变成学到的样子。每一步从文本里取一批窗口，把模型对下一个词元的猜测和真实的下一个词元比较（损失），再调整每个权重让损失变小。"),
    ("train-text", "Text to learn from", "学习用的文本"),
    ("train-sample", "The shipped sample: 3,435 WordNet example sentences about people, animals, food and places", "自带样本：3,435 个 WordNet 例句，关于人、动物、食物和地点"),
    ("train-own", "My text: paste it below or drop a .txt file on the box", "我的文本：粘贴到下面，或把 .txt 文件拖到框里"),
    ("train-placeholder", "Paste a few paragraphs here, or drop a .txt file", "在这里粘贴几段文字，或拖入一个 .txt 文件"),
    ("train-model", "Model", "模型"),
    ("train-layers", "Layers", "层数"),
    ("train-heads", "Heads", "头数"),
    ("train-width", "Width", "宽度"),
    ("train-context", "Context", "上下文"),
    ("train-vocab", "Vocabulary", "词表大小"),
    ("train-settings", "Training", "训练"),
    ("train-lr", "Learning rate", "学习率"),
    ("train-batch", "Batch", "批量"),
    ("train-steps", "Steps", "步数"),
    ("train-every", "Sample every", "每隔几步取样"),
    ("train-go", "Train", "训练"),
    ("train-pause", "Pause", "暂停"),
    ("train-continue", "Continue", "继续"),
    ("train-reset", "Reset", "重置"),
    ("train-use", "Use this model in every view", "在所有视图中使用这个模型"),
    ("train-download", "Download the model folder (.zip)", "下载模型文件夹（.zip）"),
    ("h-train-samples", "What it writes", "它写出的文字"),
    ("train-prompt", "Prompt", "开头"),
    ("h-train-pairs", "How alike its word vectors are", "它的词向量有多相似"),
    ("train-pairs", "Word pairs", "词对"),
    ("h-train-attention", "Where one head looks", "一个注意力头在看哪里"),
    ("train-probe", "Sentence", "句子"),
    ("train-idle", "Press Train to start from random weights.", "按“训练”从随机权重开始。"),
    ("train-preparing", "Learning the tokenizer and preparing the model…", "正在学习分词器并准备模型……"),
    ("train-running", "Training", "训练中"),
    ("train-paused", "Paused", "已暂停"),
    ("train-finished", "Finished", "已完成"),
    ("train-step", "step", "步"),
    ("train-tokens-per-s", "tokens/s", "词元/秒"),
    ("train-last-loss", "training loss", "训练损失"),
    ("train-locked", "Reset to change the text or the settings.", "要修改文本或设置，请先重置。"),
    ("train-facts", "tokens to learn from, held out", "个用于学习的词元，留出"),
    ("train-own-facts", "characters, lines", "个字符，行数"),
    ("train-loading-sample", "Loading the sample text…", "正在加载样本文本……"),
    ("train-cosine-title", "Cosine of the two words' embeddings while training", "训练过程中两个词嵌入的余弦相似度"),
    ("train-cosine", "cosine", "余弦"),
    ("train-attention-title", "Attention while training", "训练中的注意力"),
    ("train-no-sample", "No sample yet: it appears at step 0 and then every few steps.", "还没有样本：第 0 步和之后每隔几步会出现。"),
    ("train-tokens-of", "tokens", "个词元"),
    ("train-in-use", "Now used in every view:", "现在所有视图都在使用："),
    ("train-sample-how", "Each sample is drawn at temperature 0.8 with seed 0, so samples of different steps are comparable.", "每个样本都以温度 0.8、种子 0 抽取，所以不同步数的样本可以相互比较。"),
    ("train-overfit", "The held-out loss is rising while the training loss falls: the model is memorising this text instead of learning rules that carry over to new text. Give it more text, or fewer steps, or a smaller model.", "留出损失在上升，而训练损失在下降：模型在背这段文本，而不是学到能用于新文本的规律。给它更多文本，或减少步数，或用更小的模型。"),
    ("train-held-note", "Held out: the last tenth of the text's tokens, never trained on.", "留出：文本词元的最后十分之一，从不用于训练。"),
    ("learn-none", "This model comes without a training record. The embedded GPT was trained by TokenScope itself (tokenscope train); open it to see how its loss fell.", "这个模型没有训练记录。内置 GPT 由 TokenScope 自己训练（tokenscope train）；打开它即可看到损失如何下降。"),
    ("use-gpt", "Use the embedded GPT (tokenscope-gpt)", "使用内置 GPT（tokenscope-gpt）"),
    ("model-hint", "or drop config.json, tokenizer.json and model.safetensors here", "或把 config.json、tokenizer.json 和 model.safetensors 拖到这里"),
    ("missing-files", "These files are missing:", "缺少这些文件："),
    ("masked", "masked (a future token)", "被遮蔽（未来的词元）"),
    ("no-pair-gpt", "GPT models read one text; pair mode is for BERT.", "GPT 模型只读一段文本；句子对模式只适用于 BERT。"),
    ("tab-generate", "Generate", "生成"),
    ("h-generate", "Generating text, one token at a time", "逐个词元地生成文本"),
    ("lead-generate", "Each step the model gives every token a probability; temperature reshapes them, top-k and top-p drop the unlikely ones, and one is drawn. The same seed draws the same tokens, so a class can replay a run. Temperature 0 always takes the most probable token.", "每一步模型为每个词元给出概率；温度改变分布的形状，top-k 与 top-p 去掉不太可能的词元，然后抽取一个。相同的种子抽出相同的词元，全班可以重现同一次生成。温度为 0 时总是选概率最高的词元。"),
    ("temperature", "Temperature", "温度"),
    ("seed", "Seed", "种子"),
    ("max-tokens", "Tokens", "词元数"),
    ("gen-step", "Step", "单步"),
    ("gen-run", "Run", "运行"),
    ("gen-reset", "Reset", "重置"),
    ("gen-title", "Attention of each generated token's step over the text before it", "每个生成词元在生成那一步对之前文本的注意力"),
    ("gen-caption", "Each step: the chosen token, its probability, how many candidates top-k/top-p kept, and the most probable candidates (✗ = dropped)", "每一步：选中的词元、其概率、top-k/top-p 保留的候选数，以及最可能的候选（✗ = 被去掉）"),
    ("gen-empty", "Press Step or Run to generate.", "按“单步”或“运行”开始生成。"),
    ("gen-speed", "The prompt was read and the first token chosen in {first} ms; each later token then took {each} ms: {rate} tokens per second (one thread, reusing the earlier tokens' keys and values).", "读入提示并选出第一个词元用了 {first} 毫秒；之后每个词元用 {each} 毫秒：每秒 {rate} 个词元（单线程，复用之前词元的键和值）。"),
    ("step", "step", "步"),
    ("kept", "kept", "保留"),
    ("candidates", "candidates", "候选"),
    ("h-model", "Every layer and head at once", "一次看全部层和头"),
    ("lead-model", "Each square is one head's attention (rows: queries, columns: keys). Click one to open it in the head view.", "每个小方块是一个头的注意力（行：查询，列：键）。点击可在头视图中打开。"),
    ("model-canvas", "Attention of every layer and head", "每一层每个头的注意力"),
    ("h-neuron", "Query, key and value", "查询、键与值"),
    ("lead-neuron", "The selected token's query meets every key: multiply element by element, add up, scale by 1/√d, softmax. The probabilities weight the values; their sum is the token's new vector from this head.", "选中词元的查询向量与每个键相遇：逐元素相乘、求和、乘以 1/√d、再做 softmax。得到的概率给值向量加权，加权和就是这个头为该词元给出的新向量。"),
    ("n-key", "key", "键"),
    ("n-k", "k", "k"),
    ("n-qk", "q × k", "q × k"),
    ("n-score", "q·k/√d", "q·k/√d"),
    ("n-softmax", "softmax", "softmax"),
    ("n-value", "value v", "值 v"),
    ("n-context", "Σ softmax·v", "Σ softmax·v"),
    ("n-query", "query q", "查询 q"),
    ("h-position", "Position embeddings and word order", "位置嵌入与词序"),
    ("lead-position", "The model adds a learned vector for each position, so the same word at another place gets another input. Rows marked on the left are the positions this sentence uses.", "模型为每个位置加上一个学到的向量，所以同一个词出现在别的位置，输入就不同。左侧标出的行是本句用到的位置。"),
    ("position-title", "Position embeddings", "位置嵌入"),
    ("position-axis", "position", "位置"),
    ("dimension-axis", "dimension", "维度"),
    ("h-sum", "Word + position: what the selected token brings into the model", "词向量 + 位置向量：选中的词元带入模型的内容"),
    ("sum-title", "word vector + position vector (same colour scale; BERT then adds the token type and normalises)", "词向量 + 位置向量（同一色标；BERT 随后再加上句子类型并做归一化）"),
    ("word-row", "word", "词"),
    ("sum-row", "word + position", "词 + 位置"),
    ("h-order", "Same words, different order", "同样的词，不同的顺序"),
    ("lead-order", "Words that appear in both A and B: their vectors are identical before context and drift apart once position and attention mix in. Try the “Tim chased clouds” example.", "同时出现在 A 和 B 中的词：加入上下文之前它们的向量完全相同，位置和注意力混入后就逐渐分开。试试 “Tim chased clouds” 示例。"),
    ("order-title", "cosine of the same word in A and in B", "同一个词在 A 与 B 中的余弦相似度"),
    ("order-none", "A and B share no word; type the same words in another order.", "A 和 B 没有相同的词；请用另一种顺序输入同样的词。"),
    ("footer", "Runs entirely in your browser with WebAssembly; nothing is sent anywhere. Models: all-MiniLM-L6-v2 (Apache-2.0, bert-base-uncased vocabulary) and tokenscope-gpt, a small GPT-2 trained by TokenScope on WordNet 3.0 (WordNet licence, Princeton University), the US State of the Union addresses (public domain) and the Chit-Chat Challenge conversations (MIT, BYU PCC lab).", "完全在你的浏览器中用 WebAssembly 运行，不向任何地方发送数据。模型：all-MiniLM-L6-v2（Apache-2.0，bert-base-uncased 词表）和 tokenscope-gpt——TokenScope 在 WordNet 3.0（WordNet 许可，普林斯顿大学）、美国国情咨文（公有领域）和 Chit-Chat Challenge 对话（MIT，BYU PCC 实验室）上训练的小型 GPT-2。"),
    ("loading", "Loading", "正在加载"),
    ("preparing", "Preparing the model…", "正在准备模型……"),
    ("ready", "Model ready.", "模型已就绪。"),
    ("running", "Running the model…", "正在运行模型……"),
    ("load-failed", "Could not load the model:", "无法加载模型："),
    ("no-worker", "This browser cannot start a Web Worker.", "此浏览器无法启动 Web Worker。"),
    ("worker-failed", "The model worker failed:", "模型工作线程出错："),
    ("worker-restarted", "it was restarted and the model reloaded; your sentences are kept (a training run in progress was lost).", "已重新启动并重新加载模型；你的句子保留不变（正在进行的训练已丢失）。"),
    ("worker-gave-up", "it failed three times within a minute, so it was not restarted again. Reload the page to try again.", "一分钟内已失败三次，不再自动重启。请刷新页面重试。"),
    ("layers", "layers", "层"),
    ("hidden", "hidden", "隐藏维度"),
    ("vocabulary", "vocabulary", "词表"),
    ("model-url-label", "Model folder on this site", "本站上的模型文件夹"),
    ("load-folder", "Load", "加载"),
    (
        "model-url-empty",
        "Type a folder on this site that holds config.json, tokenizer.json and model.safetensors, e.g. models/gpt2",
        "请输入本站上含有 config.json、tokenizer.json 和 model.safetensors 的文件夹，例如 models/gpt2",
    ),
    (
        "model-url-foreign",
        "The page only reads models from its own site, so nothing you type leaves it. Put the folder on this site:",
        "本页面只从自己的站点读取模型，输入的内容不会发往别处。请把文件夹放在本站：",
    ),
    ("still-showing", "still showing", "仍在显示"),
    ("showing-instead", "showing instead:", "改为显示："),
    ("weights-in-memory", "weights in memory", "内存中的权重"),
    (
        "kernel-relaxed-simd",
        "computed with WebAssembly SIMD and fused multiply-add (relaxed SIMD), one thread",
        "计算：WebAssembly SIMD 加融合乘加（relaxed SIMD），单线程",
    ),
    (
        "kernel-simd128",
        "computed with WebAssembly SIMD, one thread (this browser has no relaxed SIMD)",
        "计算：WebAssembly SIMD，单线程（此浏览器没有 relaxed SIMD）",
    ),
    (
        "kernel-threads-relaxed",
        "computed with WebAssembly SIMD and fused multiply-add (relaxed SIMD) on {n} threads (a cross-origin isolated page)",
        "计算：WebAssembly SIMD 加融合乘加（relaxed SIMD），{n} 个线程（跨源隔离的页面）",
    ),
    (
        "kernel-threads",
        "computed with WebAssembly SIMD on {n} threads (a cross-origin isolated page)",
        "计算：WebAssembly SIMD，{n} 个线程（跨源隔离的页面）",
    ),
    (
        "kernel-threads-one",
        "computed with WebAssembly SIMD, one thread (its thread pool did not start)",
        "计算：WebAssembly SIMD，单线程（线程池未能启动）",
    ),
    ("worker-memory", "model worker memory", "模型线程内存"),
    (
        "memory-title",
        "Models up to 256 million parameters (gpt2, distilgpt2, bert-base, MiniLM) keep every weight in 32-bit floats (F32), the checkpoint's exact numbers. Bigger ones are kept in 16-bit floats (F16) so they fit in the browser: half the memory, but numbers can move by about 0.01–0.02.",
        "不超过 2.56 亿参数的模型（gpt2、distilgpt2、bert-base、MiniLM）以 32 位浮点数（F32）保存全部权重，与检查点完全一致。更大的模型以 16 位浮点数（F16）保存以便在浏览器中装下：内存减半，但数值可能偏差约 0.01–0.02。",
    ),
    ("tokens-count", "tokens", "个词元"),
    ("shape", "embeddings of shape", "嵌入张量形状"),
    ("truncated", "The text was cut to the model's positions; tokens dropped:", "文本超出模型的位置数而被截断；丢弃的词元数："),
    ("sentence-a-short", "Sentence A", "句子 A"),
    ("sentence-b-short", "Sentence B", "句子 B"),
    ("sentence-pair-short", "The pair A + B", "句子对 A + B"),
    ("truncated-notice", "{name} is longer than the model's {max} positions: {kept} tokens kept, {dropped} dropped.", "{name}超出模型的 {max} 个位置：保留 {kept} 个词元，丢弃 {dropped} 个。"),
    ("too-long", "is too long for the views (at most 128 tokens); shorten it to see attention and similarity.", "太长，视图无法显示（最多 128 个词元）；请缩短后查看注意力和相似度。"),
    ("selected", "Selected:", "已选中："),
    ("one-in", "1 at index", "1 位于下标"),
    ("memory", "Memory as 32-bit floats", "以 32 位浮点数计的内存"),
    ("memory-onehot", "one-hot table (vocabulary × vocabulary)", "独热表（词表 × 词表）"),
    ("memory-embedding", "embedding table (vocabulary × hidden)", "嵌入表（词表 × 隐藏维度）"),
    ("memory-ratio", "the embedding table is {n}× smaller", "嵌入表小了 {n} 倍"),
    ("nonzero", "non-zero numbers", "非零数字"),
    ("all-lines", "Show every token's lines", "显示所有词元的连线"),
    ("of", "of", "/"),
    ("query-token", "query", "查询"),
    ("key-token", "key", "键"),
    ("attention-caption", "Attention probabilities", "注意力概率"),
    ("similarity-caption", "Cosine similarity", "余弦相似度"),
    ("partner", "partner", "对应词元"),
    ("drift-says", "cosine of the selected token and its partner:", "选中词元与其对应词元的余弦相似度："),
    ("no-b", "Type sentence B to compare two sentences; now A is compared with itself.", "输入句子 B 可比较两个句子；现在 A 与自身比较。"),
    ("dimension", "dimension", "维度"),
    ("dimensions", "dimensions", "维"),
    ("value", "value", "数值"),
    ("download-png", "PNG", "PNG"),
    ("download-svg", "SVG", "SVG"),
    ("download-label", "Download", "下载"),
    ("pair-needed", "The filter needs pair mode; it is switched on.", "筛选需要句子对模式，已为你打开。"),
    ("position-uses", "This sentence uses positions 0 to", "本句使用的位置：0 到"),
    ("sentence", "Sentence", "句子"),
    ("pair", "Pair", "句子对"),
    ("static", "static", "静态"),
    ("emb", "emb", "嵌入"),
    ("loading-file", "Loading {file}…", "正在加载 {file}……"),
    ("your-model", "your model", "你的模型"),
    ("files-unreadable", "The browser could not read the files.", "浏览器无法读取这些文件。"),
    ("train-not-whole", "{field}: “{value}” is not a whole number", "{field}：“{value}”不是整数"),
    ("train-not-number", "{field}: “{value}” is not a number", "{field}：“{value}”不是数字"),
    ("train-corpus-sample", "the shipped sample (3,435 WordNet 3.0 example sentences)", "自带样本（3,435 个 WordNet 3.0 例句）"),
    ("train-corpus-own", "text given in the page ({n} characters)", "在页面中给出的文本（{n} 个字符）"),
    ("train-drop-not-text", "The dropped file is not text.", "拖入的文件不是文本。"),
    ("model-table-caption", "in every layer and head, the token it attends to most and the weight", "在每一层、每个头中，它最关注的词元及其权重"),
];

/// What a key with no text shows: visibly broken, never the key passed off as a word
/// (the tests below fail first).
pub const MISSING: &str = "⚠ missing text";

/// The text for `key` in `lang`.
/// Every (key, English, Chinese): the page's own words, then the "why" tools'.
fn all_texts() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    TEXTS
        .iter()
        .chain(crate::i18n_why::WHY_TEXTS)
        .chain(crate::i18n_lesson::LESSON_TEXTS)
}

pub fn text(lang: Lang, key: &str) -> &'static str {
    all_texts()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| match lang {
            Lang::En => *en,
            Lang::Zh => *zh,
        })
        .unwrap_or(MISSING)
}

/// `text`, said in `to` when it is one of the page's fixed texts in `from` (a status line
/// such as "Model ready."), so switching language re-says it; None for any other text.
pub fn translate(text: &str, from: Lang, to: Lang) -> Option<&'static str> {
    let pick = |lang: Lang, en: &'static str, zh: &'static str| match lang {
        Lang::En => en,
        Lang::Zh => zh,
    };
    all_texts()
        .find(|(_, en, zh)| pick(from, en, zh) == text)
        .map(|(_, en, zh)| pick(to, en, zh))
}

/// Whether `key` has a text in both languages.
pub fn has(key: &str) -> bool {
    all_texts().any(|(k, _, _)| *k == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::path::Path;

    #[test]
    fn keys_are_unique_and_both_languages_are_filled() {
        let mut seen = HashSet::new();
        for (key, en, zh) in all_texts() {
            assert!(seen.insert(*key), "duplicate key {key}");
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{key}");
        }
    }

    /// The keys index.html names in `data-i18n`, `data-i18n-label` and
    /// `data-i18n-placeholder`.
    fn html_keys() -> Vec<String> {
        let html = include_str!("../../../www/index.html");
        let mut keys = Vec::new();
        for attr in [
            "data-i18n=\"",
            "data-i18n-label=\"",
            "data-i18n-placeholder=\"",
        ] {
            for part in html.split(attr).skip(1) {
                keys.push(part.split('"').next().unwrap_or_default().to_string());
            }
        }
        keys
    }

    /// The literal keys Rust code asks for: `t("key")` (the page model's and closures'
    /// shorthand) and `text(lang, "key")`.
    fn rust_keys(source: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let bytes = source.as_bytes();
        for (at, _) in source.match_indices("t(\"") {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
                continue; // another name ending in t, like print(
            }
            let rest = &source[at + 3..];
            keys.extend(rest.split('"').next().map(String::from));
        }
        for (at, _) in source.match_indices("text(") {
            let rest = &source[at + 5..];
            let Some((first, after)) = rest.split_once(',') else {
                continue;
            };
            let is_lang = !first.is_empty()
                && first
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == ':');
            if let Some(literal) = after.trim_start().strip_prefix('"') {
                if is_lang {
                    keys.extend(literal.split('"').next().map(String::from));
                }
            }
        }
        keys
    }

    fn rust_sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir)
            .expect("the crate's sources")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                rust_sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n.rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.push((path.display().to_string(), text));
            }
        }
    }

    #[test]
    fn every_key_the_page_and_its_code_use_has_both_texts() {
        let html = html_keys();
        assert!(
            html.len() > 40,
            "only {} keys found in the page",
            html.len()
        );
        let mut sources = Vec::new();
        rust_sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut sources,
        );
        assert!(sources.len() > 20, "the scan found {} files", sources.len());
        let mut rust = 0;
        let mut missing = Vec::new();
        for (file, source) in &sources {
            for key in rust_keys(source) {
                rust += 1;
                if !has(&key) {
                    missing.push(format!("{key} ({file})"));
                }
            }
        }
        for key in &html {
            if !has(key) {
                missing.push(format!("{key} (index.html)"));
            }
        }
        assert!(rust > 150, "only {rust} keys found in the Rust code");
        assert!(missing.is_empty(), "keys without texts: {missing:?}");
    }

    #[test]
    fn the_scan_finds_keys_and_a_missing_key_is_shown_as_missing() {
        let found = rust_keys(r#"model.t("layer"); text(lang, "head"); print("x"); text(a, b)"#);
        assert_eq!(found, ["layer", "head"]);
        assert_eq!(text(Lang::Zh, "layer"), "层");
        assert_eq!(text(Lang::En, "no-such-key"), MISSING);
        assert!(!MISSING.contains("no-such-key"));
    }
}
